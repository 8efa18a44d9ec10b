"""Activation codes: batches of random single-use codes worth points (a partner club card, a
discount card carried over from an old program).

A code is stored in canonical form (upper case, no separators) and shown in groups of four, so
"abcd efgh-jkmn" typed from a card matches ABCD-EFGH-JKMN. Redemption marks the code with a
conditional UPDATE (``WHERE redeemed_at IS NULL``) and grants its points under the key
``code:<id>`` in the same transaction: of two concurrent redemptions exactly one wins.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

import peewee

from plugin import customers, ledger
from plugin.core import clock, csvfile, reasons
from plugin.core.db import insert_rows, locking, write_transaction
from plugin.core.errors import Invalid, LoyaltyError, NotFound
from plugin.core.kinds import EntryKind
from plugin.core.models import ActivationCode, Customer, Shop
from plugin.program import timing, versions

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are typed from cards
RANDOM_LENGTH, GROUP = 12, 4  # 31**12 is about 2**59 codes
MAX_COUNT, MAX_POINTS = 100_000, 10**9
BATCH_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
BATCH_RULE = "letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit"
PREFIX = r"^[A-Za-z0-9]{1,16}$"
PREFIX_RULE = "1 to 16 letters or digits"
CSV_HEADER = ("code", "points", "point_type", "redeemed_at", "redeemed_by")
_CHUNK = 1000


class AlreadyRedeemed(LoyaltyError):
    status, code = 409, "already_redeemed"


class BatchConflict(LoyaltyError):
    status, code = 409, "conflict"


@dataclass(frozen=True)
class Batch:
    name: str
    count: int
    points: int
    point_type: str
    created: bool  # False: the batch existed already with the same count, points and type

    def as_dict(self) -> dict:
        return {"batch": self.name, "count": self.count, "points": self.points,
                "point_type": self.point_type}


def normalise(text: str) -> str:
    """The canonical form of a typed code: upper case, without spaces or dashes."""
    return re.sub(r"[\s-]+", "", text or "").upper()


def display(code: str) -> str:
    """A canonical code as printed: the prefix, then the random part in groups of four."""
    prefix, rest = code[:-RANDOM_LENGTH], code[-RANDOM_LENGTH:]
    groups = [rest[n:n + GROUP] for n in range(0, RANDOM_LENGTH, GROUP)]
    return "-".join(([prefix] if prefix else []) + groups)


def _random_part() -> str:
    number, out = secrets.randbelow(len(ALPHABET) ** RANDOM_LENGTH), []
    for _ in range(RANDOM_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        out.append(ALPHABET[digit])
    return "".join(out)


def _check(count: int, points: int, batch: str, prefix: str | None) -> None:
    errors = {}
    if not 1 <= count <= MAX_COUNT:
        errors["count"] = [f"must be between 1 and {MAX_COUNT}"]
    if not 1 <= points <= MAX_POINTS:
        errors["points"] = [f"must be between 1 and {MAX_POINTS}"]
    if not re.match(BATCH_NAME, batch):
        errors["batch"] = [BATCH_RULE]
    if prefix is not None and not re.match(PREFIX, prefix):
        errors["prefix"] = [PREFIX_RULE]
    if errors:
        raise Invalid(f"invalid fields: {', '.join(sorted(errors))}", fields=errors)


def generate(shop_id: int, count: int, points: int, point_type: str | None = None,
             batch: str | None = None, prefix: str | None = None) -> Batch:
    """Create a batch of ``count`` unique codes; a named batch that exists with the same count,
    points and type is returned as it is (a retried request), with other values it is a conflict."""
    name = batch or f"{clock.now():%Y%m%d}-{secrets.token_hex(3)}"
    _check(count, points, name, prefix)
    program = versions.current(shop_id)[1]
    point_type = point_type or program["earning"]["point_type"]
    if point_type not in program["point_types"]:
        raise Invalid(f"unknown point type {point_type!r}",
                      fields={"point_type": [f"not a point type of the program: {point_type!r}"]})
    with write_transaction():
        locking(Shop.select(Shop.id).where(Shop.id == shop_id)).first()  # one generator per shop
        existing = next(iter(batches(shop_id, name)), None)
        if existing:
            if (existing["count"], existing["points"], existing["point_type"]) != (count, points, point_type):
                raise BatchConflict(f"batch {name!r} already exists with {existing['count']} codes of "
                                    f"{existing['points']} {existing['point_type']} points",
                                    fields={"batch": ["already exists with other values"]})
            return Batch(name, count, points, point_type, created=False)
        _insert(shop_id, name, count, points, point_type, normalise(prefix or ""))
    return Batch(name, count, points, point_type, created=True)


def _insert(shop_id: int, batch: str, count: int, points: int, point_type: str, prefix: str) -> None:
    """Insert random codes until the batch has ``count``; a collision is simply drawn again."""
    made, now = 0, clock.now()
    for _ in range(10):
        fresh: set[str] = set()
        while len(fresh) < count - made:
            fresh.add(prefix + _random_part())
        fresh_list = list(fresh)
        for start in range(0, len(fresh_list), _CHUNK):
            insert_rows(ActivationCode, [
                {"shop": shop_id, "batch": batch, "code": code, "points": points, "point_type": point_type,
                 "created_at": now} for code in fresh_list[start:start + _CHUNK]], ignore_conflicts=True)
        made = ActivationCode.select().where(
            (ActivationCode.shop == shop_id) & (ActivationCode.batch == batch)).count()
        if made >= count:
            return
    raise RuntimeError(f"could not draw {count} unique codes for batch {batch!r}")


def batches(shop_id: int, name: str | None = None) -> list[dict]:
    """Every batch of the shop (or the one named) with its size and how many codes were used."""
    fn = peewee.fn
    query = (ActivationCode.select(
        ActivationCode.batch, fn.COUNT(ActivationCode.id).alias("count"),
        fn.COUNT(ActivationCode.redeemed_at).alias("redeemed"), fn.MIN(ActivationCode.points).alias("points"),
        fn.MIN(ActivationCode.point_type).alias("point_type"),
        fn.MIN(ActivationCode.created_at).alias("created_at"))
        .where(ActivationCode.shop == shop_id).group_by(ActivationCode.batch)
        .order_by(fn.MIN(ActivationCode.id)))
    if name is not None:
        query = query.where(ActivationCode.batch == name)
    return [{"batch": row["batch"], "count": row["count"], "redeemed": row["redeemed"],
             "points": int(row["points"]), "point_type": row["point_type"],
             "created_at": _iso(row["created_at"])} for row in query.dicts()]


def _iso(value) -> str | None:
    if value is None or isinstance(value, str):  # SQLite returns aggregates of dates as text
        return value.replace(" ", "T") if value else None
    return value.isoformat()


def write_csv(shop_id: int, batch: str, out: TextIO) -> int:
    """Write the batch as CSV (code, points, point_type, redeemed_at, redeemed_by); returns rows."""
    rows = (ActivationCode.select(ActivationCode.code, ActivationCode.points, ActivationCode.point_type,
                                  ActivationCode.redeemed_at, Customer.platform_id)
            .join(Customer, peewee.JOIN.LEFT_OUTER, on=(ActivationCode.redeemed_by == Customer.id))
            .where((ActivationCode.shop == shop_id) & (ActivationCode.batch == batch))
            .order_by(ActivationCode.id).tuples())
    n = 0
    for n, (code, points, point_type, redeemed_at, redeemed_by) in enumerate(rows.iterator(), 1):
        if n == 1:
            out.writelines(csvfile.lines([CSV_HEADER]))
        out.writelines(csvfile.lines([(display(code), points, point_type,
                                       redeemed_at.isoformat() if redeemed_at else "", redeemed_by or "")]))
    if n == 0:
        raise NotFound(f"no activation code batch {batch!r} in this shop")
    return n


def redeem(shop_id: int, typed: str, customer_id: str) -> dict:
    """Grant a code's points to the customer (created if new) and mark it used, once ever.

    Raises NotFound for a code the shop does not have and AlreadyRedeemed (saying when) for a
    code used before, by anyone, including a concurrent redemption that won the race.
    """
    canonical = normalise(typed)
    with write_transaction():
        code = ActivationCode.get_or_none((ActivationCode.shop == shop_id)
                                          & (ActivationCode.code == canonical))
        if code is None:
            raise NotFound(f"no activation code {typed.strip()!r} in this shop",
                           fields={"code": ["unknown code"]})
        customer = customers.ensure(shop_id, customer_id)
        now = clock.now()
        won = (ActivationCode.update(redeemed_at=now, redeemed_by=customer.id)
               .where((ActivationCode.id == code.id) & ActivationCode.redeemed_at.is_null())
               .execute())
        if won != 1:
            raise _used(ActivationCode.get_by_id(code.id), customer)
        version, program = versions.current(shop_id)
        known = code.point_type in program["point_types"]
        lot = ledger.grant(
            customer, code.points, kind=EntryKind.BONUS, source=f"code:{code.batch}", key=f"code:{code.id}",
            point_type=code.point_type, rule={"activation_code": code.id, "batch": code.batch},
            reason=reasons.activation_code(display(code.code)), program_version=version,
            expires_at=timing.expires_at(program, code.point_type, now) if known else None)
    return {"code": display(code.code), "batch": code.batch, "customer_id": customer.platform_id,
            "points": code.points, "point_type": code.point_type, "lot": lot.id,
            "redeemed_at": now.isoformat()}


def _used(code: ActivationCode, customer: Customer) -> AlreadyRedeemed:
    when: datetime = code.redeemed_at
    who = " by this customer" if code.redeemed_by_id == customer.id else ""
    message = f"activation code {display(code.code)} was already used on {when:%Y-%m-%d %H:%M:%S} UTC{who}"
    return AlreadyRedeemed(message, fields={"code": [message]})
