"""Bulk adjustments from a CSV file: preview, apply as one batch, undo within a day.

Columns: the customer (``customer_id`` or ``email``), ``points`` (+/-), an optional ``point_type``
(default: the program's earning type) and a ``reason``. The preview says what each row will do and
which rows are rejected (line number and reason), with totals; applying runs the very same plan in
one transaction and records an ``AdjustmentBatch`` (rejected rows are left out and listed). A row's
ledger key is ``batch:<id>:<line>``. Undo, once and only within ``UNDO_WINDOW``, gives taken points
back to the lots they came from and takes granted points back (from their own lot first); if a
customer has spent them meanwhile the undo is refused as a whole, naming the lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import peewee
from peewee import fn

from plugin import ledger
from plugin.core import clock, csvfile, reasons
from plugin.core.db import locking, write_transaction
from plugin.core.errors import Invalid, LoyaltyError, NotFound
from plugin.core.models import AdjustmentBatch, Customer, LedgerEntry, Lot
from plugin.core.status import BatchStatus
from plugin.ledger import adjustments
from plugin.program import versions

UNDO_WINDOW = timedelta(hours=24)
ID_COLUMNS = ("customer_id", "shopify_customer_id", "shopify_id", "merchant_id", "platform_id")
EMAIL_COLUMNS = ("email", "email_address", "e_mail", "customer_email")
COLUMNS = {
    "customer_id": ID_COLUMNS,
    "email": EMAIL_COLUMNS,
    "points": ("points", "amount", "adjustment", "points_change", "delta"),
    "point_type": ("point_type", "type"),
    "reason": ("reason", "note", "comment", "description"),
}
_SIGNED = re.compile(r"^[+-]?\d{1,10}$")


class AlreadyUndone(LoyaltyError):
    status, code = 409, "already_undone"


class UndoExpired(LoyaltyError):
    status, code = 409, "undo_expired"


class CannotUndo(LoyaltyError):
    """Customers no longer hold points the batch granted; nothing was reversed."""

    status, code = 409, "cannot_undo"


@dataclass
class Plan:
    """What a file will do: accepted rows (in file order), rejected rows, totals."""

    accepted: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def totals(self) -> dict:
        added: dict[str, int] = {}
        removed: dict[str, int] = {}
        for row in self.accepted:
            side = added if row["points"] > 0 else removed
            side[row["point_type"]] = side.get(row["point_type"], 0) + abs(row["points"])
        return {"rows": len(self.accepted) + len(self.rejected), "accepted": len(self.accepted),
                "rejected": len(self.rejected), "customers": len({r["customer_id"] for r in self.accepted}),
                "added": added, "removed": removed}

    def as_dict(self) -> dict:
        return {"rows": self.accepted, "rejected": self.rejected, "totals": self.totals()}


def plan(shop_id: int, text: str, program: dict) -> tuple[Plan, dict[str, Customer]]:
    """Read and check every row against the shop's customers and balances, writing nothing.

    Balances run through the file: two rows taking from one customer must fit together.
    """
    table = csvfile.read(text, COLUMNS, one_of=("customer_id", "email"))
    missing = [name for name in ("points", "reason") if name not in table.fields]
    if missing:
        raise Invalid(f"the header row needs a {' and a '.join(repr(n) for n in missing)} column",
                      fields={"file": [f"no {name!r} column" for name in missing]})
    found = _customers(shop_id, table.rows)
    held = _held(shop_id, [c.id for c in found.values()])
    default_type, result = program["earning"]["point_type"], Plan()
    for row in table.rows:
        if row.error:
            result.rejected.append({"line": row.line, "reason": row.error})
            continue
        cells = row.cells
        customer = found.get(_who(cells))
        points = int(cells["points"]) if _SIGNED.match(cells.get("points", "")) else None
        point_type = cells.get("point_type") or default_type
        issues = adjustments.problems(points, point_type, cells.get("reason", ""), "bulk", program)
        if customer is None:
            issues = {"customer": [f"no customer {_who(cells) or '(empty)'!r} in this shop"], **issues}
        elif points is not None and points < 0 and "point_type" not in issues:
            have = held.get((customer.id, point_type), 0)
            if have < -points:
                issues["points"] = [f"only {have} {point_type} points can be taken, not {-points}"]
        if issues:
            result.rejected.append({"line": row.line, "reason": "; ".join(
                f"{name}: {message}" for name, messages in issues.items() for message in messages)})
            continue
        before = held.get((customer.id, point_type), 0)
        held[(customer.id, point_type)] = before + points
        result.accepted.append({"line": row.line, "customer_id": customer.platform_id, "points": points,
                                "point_type": point_type, "reason": cells["reason"],
                                "balance_before": before, "balance_after": before + points})
    return result, {c.platform_id: c for c in found.values()}


def _who(cells: dict) -> str:
    return cells.get("customer_id") or (cells.get("email") or "").lower()


def _customers(shop_id: int, rows: list[csvfile.Row]) -> dict[str, Customer]:
    """The shop's customers the rows name, by platform id or lower-cased email."""
    ids = {r.cells["customer_id"] for r in rows if r.cells.get("customer_id")}
    emails = {r.cells["email"].lower() for r in rows
              if not r.cells.get("customer_id") and r.cells.get("email")}
    found: dict[str, Customer] = {}
    for chunk in _chunks(sorted(ids)):
        found.update({c.platform_id: c for c in Customer.select().where(
            (Customer.shop == shop_id) & Customer.platform_id.in_(chunk))})
    for chunk in _chunks(sorted(emails)):
        for c in Customer.select().where((Customer.shop == shop_id) & fn.LOWER(Customer.email).in_(chunk)):
            found.setdefault(c.email.lower(), c)
    return found


def _held(shop_id: int, customer_ids: list[int]) -> dict[tuple[int, str], int]:
    """Points a negative adjustment can take, per (customer, point type): open lots."""
    out: dict[tuple[int, str], int] = {}
    for chunk in _chunks(customer_ids):
        out.update({(cid, ptype): int(total) for cid, ptype, total in Lot.select(
            Lot.customer, Lot.point_type, fn.SUM(Lot.remaining)).where(
            (Lot.shop == shop_id) & Lot.customer.in_(chunk) & (Lot.remaining > 0))
            .group_by(Lot.customer, Lot.point_type).tuples()})
    return out


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def preview(shop_id: int, text: str) -> dict:
    return plan(shop_id, text, versions.current(shop_id)[1])[0].as_dict()


def apply(shop_id: int, text: str, *, actor: str, key: str) -> tuple[AdjustmentBatch, bool]:
    """Apply the file's accepted rows as one batch; (batch, True) when written now, (batch, False)
    for a retry with the same key and file. Another file under a used key is a conflict."""
    if not adjustments.KEY.match(key or ""):
        raise Invalid(f"Idempotency-Key: {adjustments.KEY_RULE}", fields={"key": [adjustments.KEY_RULE]})
    if not (actor or "").strip() or len(actor) > 255:
        raise Invalid("the staff member who adjusts is required", fields={"actor": ["required"]})
    file_hash = csvfile.digest(text)
    try:
        with write_transaction():
            done = _retry(shop_id, key, file_hash)
            if done:
                return done, False
            current = versions.current(shop_id)
            result, customers = plan(shop_id, text, current[1])
            if not result.accepted:
                raise Invalid("no row of the file can be applied",
                              fields={f"line {r['line']}": [r["reason"]] for r in result.rejected[:100]})
            batch = AdjustmentBatch.create(shop=shop_id, key=key, file_hash=file_hash, actor=actor.strip(),
                                           rows=len(result.accepted), totals=result.totals(),
                                           lines=[row["line"] for row in result.accepted],
                                           rejected=result.rejected, created_at=clock.now())
            for row in sorted(result.accepted, key=lambda r: r["points"] < 0):  # grants first
                adjustments.move(customers[row["customer_id"]], row["points"], row["point_type"],
                                 key=f"batch:{batch.id}:{row['line']}", source=f"batch:{batch.id}",
                                 reason=row["reason"], actor=batch.actor, current=current)
    except peewee.IntegrityError:  # a concurrent request with the same key wrote first
        done = _retry(shop_id, key, file_hash)
        if done is None:
            raise
        return done, False
    return batch, True


def _retry(shop_id: int, key: str, file_hash: str) -> AdjustmentBatch | None:
    batch = AdjustmentBatch.get_or_none((AdjustmentBatch.shop == shop_id) & (AdjustmentBatch.key == key))
    if batch is not None and batch.file_hash != file_hash:
        raise adjustments.Conflict(f"Idempotency-Key {key!r} was already used for batch {batch.id} "
                                   "with another file", fields={"key": ["already used with another file"]})
    return batch


def get(shop_id: int, batch_id: int) -> AdjustmentBatch:
    batch = AdjustmentBatch.get_or_none((AdjustmentBatch.shop == shop_id) & (AdjustmentBatch.id == batch_id))
    if batch is None:
        raise NotFound(f"no adjustment batch {batch_id} in this shop")
    return batch


def page(shop_id: int, *, before: int | None = None, limit: int = 50) -> list[AdjustmentBatch]:
    query = AdjustmentBatch.select().where(AdjustmentBatch.shop == shop_id)
    if before is not None:
        query = query.where(AdjustmentBatch.id < before)
    return list(query.order_by(AdjustmentBatch.id.desc()).limit(limit))


def undo(shop_id: int, batch_id: int, *, actor: str) -> AdjustmentBatch:
    """Reverse exactly what the batch wrote, once, within a day of applying it."""
    if not (actor or "").strip() or len(actor) > 255:
        raise Invalid("the staff member who undoes is required", fields={"actor": ["required"]})
    actor = actor.strip()
    with write_transaction():
        batch = locking(AdjustmentBatch.select().where(
            (AdjustmentBatch.shop == shop_id) & (AdjustmentBatch.id == batch_id))).first()
        if batch is None:
            raise NotFound(f"no adjustment batch {batch_id} in this shop")
        if batch.status == BatchStatus.UNDONE:
            raise AlreadyUndone(f"batch {batch.id} was already undone on "
                                f"{batch.undone_at:%Y-%m-%d %H:%M:%S} UTC by {batch.undone_by}")
        now = clock.now()
        if now - batch.created_at > UNDO_WINDOW:
            raise UndoExpired(f"batch {batch.id} was applied on {batch.created_at:%Y-%m-%d %H:%M:%S} UTC: "
                              f"a batch can be undone for {UNDO_WINDOW.total_seconds() / 3600:.0f} hours "
                              "only; adjust the customers one by one instead")
        short = _reverse(batch, actor)
        if short:
            raise CannotUndo("the batch cannot be undone: customers have spent points it "
                                       "granted", fields=short)
        AdjustmentBatch.update(status=BatchStatus.UNDONE, undone_at=now, undone_by=actor).where(
            AdjustmentBatch.id == batch.id).execute()
    return AdjustmentBatch.get_by_id(batch.id)


def _reverse(batch: AdjustmentBatch, actor: str) -> dict[str, list[str]]:
    """Write the reversing entries (taken points are given back first); {"line N": [why]} of
    the lines whose granted points are no longer there."""
    firsts = LedgerEntry.select().where(
        (LedgerEntry.shop == batch.shop_id)
        & LedgerEntry.idempotency_key.in_([f"batch:{batch.id}:{line}" for line in batch.lines]))
    short: dict[str, list[str]] = {}
    for first in sorted(firsts, key=lambda entry: (entry.delta > 0, entry.id)):
        line = first.idempotency_key.rsplit(":", 1)[1]
        reason, key = reasons.undo(batch.id, int(line), first.reason), f"undo:{batch.id}:{line}"
        if first.delta < 0:
            taken = {entry.lot_id: -entry.delta for entry in adjustments.entries(first)}
            ledger.restore(batch.shop_id, taken, kind=adjustments.KIND, key=key, reason=reason, actor=actor)
            continue
        settled = -sum(entry.delta for entry in LedgerEntry.select(LedgerEntry.delta).where(
            (LedgerEntry.shop == batch.shop_id)
            & (LedgerEntry.idempotency_key == f"{first.idempotency_key}:settle-from")))
        held = sum(lot.remaining for lot in adjustments.open_lots(first.customer_id, first.point_type))
        if held + settled < first.delta:
            short[f"line {line}"] = [f"{first.delta} {first.point_type} points were granted; "
                                     f"the customer holds {held} now"]
            continue
        ledger.debit(Lot.get_by_id(first.lot_id), first.delta, kind=adjustments.KIND, key=key, spill=True,
                     allow_debt=settled > 0, actor=actor, reason=reason)
    return short


def as_dict(batch: AdjustmentBatch) -> dict:
    return {"id": batch.id, "status": batch.status, "actor": batch.actor, "rows": batch.rows,
            "totals": batch.totals, "rejected": batch.rejected, "created_at": batch.created_at.isoformat(),
            "undo_until": ((batch.created_at + UNDO_WINDOW).isoformat() if batch.status == BatchStatus.APPLIED
                           else None),
            "undone_at": batch.undone_at.isoformat() if batch.undone_at else None,
            "undone_by": batch.undone_by}

