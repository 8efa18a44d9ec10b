"""Importing customers and their balances from CSV, as the popular loyalty apps export them.

Headers are matched in any case and punctuation (plugin.core.csvfile), with the spellings of Smile.io
(``email``, ``first_name``, ``points_balance``, ``date_of_birth``, ``vip_tier``, ``referral_url``),
LoyaltyLion (``merchant_id``, ``points_approved``, ``tier``, ``birthday``) and Yotpo (``Email``,
``First Name``, ``Full Name``, ``Points Balance``, ``Birthday (MM/DD/YYYY)``) and our own export.

A row creates the customer (by customer id) or finds them (by email alone), fills the profile,
sets a birthday the customer has none of, grants the points balance as an opening balance (kind
"import", the program's earning point type), assigns the tier named when the program has it
(plugin.tiers.assign) and gives the referral code when it is free. A malformed row is rejected
with its line number and reason; the rest import. Rows are written ``batch_size`` at a time, one
transaction each; a dry run rolls every transaction back, so it reports exactly what would happen.

Idempotent: the opening balance is a grant keyed ``import:<customer id>:<point type>``: once per
customer and type, whatever the file. Re-running a file changes nothing, and neither does a fresh
export with one row changed (a key by file hash would grant all the others twice); an imported
customer with another amount is reported as a warning, to be fixed with an adjustment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import peewee
from peewee import fn

from plugin import customers, ledger, tiers
from plugin.core import clock, csvfile, reasons
from plugin.core.db import write_transaction
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, Lot, ReferralCode
from plugin.dataio.import_rows import CODE, COLUMNS, Entry, Report, checked
from plugin.earn import birthdays
from plugin.program import timing, versions

KIND = EntryKind.IMPORT


def import_csv(shop_id: int, text: str, *, dry_run: bool = False, actor: str | None = None,
               progress: Callable[[int, int], None] | None = None, batch_size: int = 1000) -> Report:
    """Import the file's rows; ``progress(done, total)`` is called after every batch."""
    table = csvfile.read(text, COLUMNS, one_of=("customer_id", "email"))
    current = versions.current(shop_id)
    report = Report(total=len(table.rows), dry_run=dry_run, ignored_columns=table.ignored)
    entries = checked(table.rows, report)
    report.done = report.total - len(entries)
    if progress:
        progress(report.done, report.total)
    for start in range(0, len(entries), batch_size):
        chunk = entries[start:start + batch_size]
        with write_transaction() as transaction:
            _write(shop_id, chunk, current, report, actor)
            if dry_run:
                transaction.rollback()
        report.done += len(chunk)
        if progress:
            progress(report.done, report.total)
    report.rejected.sort(key=lambda r: r["line"])
    report.warnings.sort(key=lambda w: w["line"])
    return report


# --- writing a batch -----------------------------------------------------------------------------

def _write(shop_id: int, chunk: list[Entry], current: tuple[int | None, dict], report: Report,
           actor: str | None) -> None:
    by_email = _by_email(shop_id, [e.profile["email"] for e in chunk if e.customer_id is None])
    rows: list[tuple[Entry, str]] = []
    lines: dict[str, int] = {}
    for entry in chunk:
        pid = entry.customer_id or by_email.get(entry.profile["email"].lower())
        if pid is None:
            report.reject(entry.line, f"no customer has the email {entry.profile['email']!r} and the "
                                      "row has no customer id to create one with")
        elif pid in lines:
            report.reject(entry.line, f"customer {pid!r} (by email) is already on line {lines[pid]}")
        else:
            lines[pid] = entry.line
            rows.append((entry, pid))
    if not rows:
        return
    ids = [pid for _, pid in rows]
    known = {pid for (pid,) in Customer.select(Customer.platform_id).where(
        (Customer.shop == shop_id) & Customer.platform_id.in_(ids)).tuples()}
    report.customers_created += len(set(ids) - known)
    found = customers.ensure_many(shop_id, {pid: entry.profile for entry, pid in rows})
    placed = [(entry, found[pid]) for entry, pid in rows]
    now = clock.now()
    _birthdays(placed, report, now)
    _referral_codes(shop_id, placed, report)
    _balances(shop_id, placed, current, report, actor, now)
    _tiers(placed, current[1], report, now)


def _by_email(shop_id: int, emails: list[str]) -> dict[str, str]:
    """Platform ids of the shop's customers by lower-cased email (the first one if shared)."""
    if not emails:
        return {}
    rows = (Customer.select(fn.LOWER(Customer.email), Customer.platform_id)
            .where((Customer.shop == shop_id) & fn.LOWER(Customer.email).in_([e.lower() for e in emails]))
            .order_by(Customer.id).tuples())
    out: dict[str, str] = {}
    for email, pid in rows:
        out.setdefault(email, pid)
    return out


def _birthdays(placed: list[tuple[Entry, Customer]], report: Report, now: datetime) -> None:
    """Set birthdays the customers have none of. The old program vouched for them, so they count
    at once (set_at before the waiting period) instead of waiting 30 days like a new one."""
    wanted = [(c.id, e.birthday) for e, c in placed if e.birthday and c.birthday is None]
    if wanted:
        report.birthdays += Customer.update(
            birthday=peewee.Case(Customer.id, wanted), birthday_set_at=now - birthdays.WAITING_PERIOD,
        ).where(Customer.id.in_([cid for cid, _ in wanted]) & Customer.birthday.is_null()).execute()


def _referral_codes(shop_id: int, placed: list[tuple[Entry, Customer]], report: Report) -> None:
    """Give each customer the code of the file when it is free and they have none yet."""
    wanted = [(e, c) for e, c in placed if e.referral_code]
    if not wanted:
        return
    held = dict(ReferralCode.select(ReferralCode.customer, ReferralCode.code).where(
        ReferralCode.customer.in_([c.id for _, c in wanted])).tuples())
    fresh = []
    for entry, customer in wanted:
        code = entry.referral_code
        if not CODE.match(code):
            report.warn(entry.line, f"referral code {code[:40]!r} not kept: 4 to 32 letters or digits")
        elif customer.id in held and held[customer.id] != code:
            report.warn(entry.line, f"referral code {code!r} not kept: the customer has "
                                    f"{held[customer.id]!r}")
        elif customer.id not in held:
            fresh.append((entry, customer))
    if not fresh:
        return
    ReferralCode.insert_many([{"shop": shop_id, "customer": c.id, "code": e.referral_code}
                              for e, c in fresh]).on_conflict_ignore().execute()
    owners = dict(ReferralCode.select(ReferralCode.code, ReferralCode.customer).where(
        (ReferralCode.shop == shop_id) & ReferralCode.code.in_([e.referral_code for e, _ in fresh])).tuples())
    for entry, customer in fresh:
        if owners.get(entry.referral_code) == customer.id:
            report.referral_codes += 1
        else:
            report.warn(entry.line, f"referral code {entry.referral_code!r} not kept: another "
                                    "customer has it")


def _balances(shop_id: int, placed: list[tuple[Entry, Customer]], current: tuple[int | None, dict],
              report: Report, actor: str | None, now: datetime) -> None:
    version, program = current
    point_type = program["earning"]["point_type"]
    grants = {f"{KIND}:{c.platform_id}:{point_type}": (e, c) for e, c in placed if e.points > 0}
    if not grants:
        return
    before = dict(Lot.select(Lot.key, Lot.original).where(
        (Lot.shop == shop_id) & Lot.key.in_(list(grants))).tuples())
    expires_at = timing.expires_at(program, point_type, now)
    written = ledger.grant_many(shop_id, [
        ledger.Grant(c.id, e.points, source=KIND, rule={"import": True}, key=key, point_type=point_type,
                     reason=reasons.imported_opening(), actor=actor, program_version=version,
                     expires_at=expires_at)
        for key, (e, c) in grants.items() if key not in before], kind=KIND)
    report.balances_granted += len(written)
    report.points_granted += sum(grants[key][0].points for key in written)
    for key, original in before.items():
        entry = grants[key][0]
        report.already_imported += 1
        if original != entry.points:
            report.warn(entry.line, f"an opening balance of {original} was imported before; the file says "
                                    f"{entry.points}: adjust the difference instead")


def _tiers(placed: list[tuple[Entry, Customer]], program: dict, report: Report, now: datetime) -> None:
    wanted = [(e, c) for e, c in placed if e.tier]
    if not wanted:
        return
    known = {}  # by id, and by its title in any language ("Gold", "Золото")
    for tier in (program.get("tiers") or {}).get("tiers", []):
        for name in (tier["id"], *tier["title"].values()):
            known.setdefault(name.strip().lower(), tier["id"])
    held = {row.customer_id: row for row in CustomerTier.select().where(
        CustomerTier.customer.in_([c.id for _, c in wanted]))}
    for entry, customer in wanted:
        tier_id = known.get(entry.tier.lower())
        if tier_id is None:
            report.warn(entry.line, f"tier {entry.tier[:64]!r} is not a tier of the program; not assigned")
            continue
        row = held.get(customer.id)
        if row is not None and row.assigned and row.tier_id == tier_id:
            continue
        tiers.assign(customer, tier_id, now=now)
        report.tiers_assigned += 1
