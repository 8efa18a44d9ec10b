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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import peewee
from peewee import fn

from plugin import customers, ledger, tiers
from plugin.core import clock, csvfile
from plugin.core.db import write_transaction
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, CustomerTier, Lot, ReferralCode
from plugin.earn import birthdays
from plugin.program import timing, versions

KIND = EntryKind.IMPORT
MAX_POINTS = 10**9
ID_COLUMNS = ("customer_id", "shopify_customer_id", "shopify_id", "merchant_id", "platform_id",
              "external_customer_id", "customer_no")
COLUMNS = {
    "customer_id": ID_COLUMNS,
    "email": ("email", "email_address", "e_mail", "customer_email", "emails"),
    "first_name": ("first_name", "firstname", "given_name"),
    "last_name": ("last_name", "lastname", "surname", "family_name"),
    "full_name": ("full_name", "name", "customer_name"),
    "points": ("points_balance", "points", "balance", "point_balance", "current_points_balance",
               "current_points", "points_approved", "approved_points", "available_points"),
    "tier": ("tier", "vip_tier", "tier_name", "vip_tier_name", "current_tier", "loyalty_tier"),
    "referral_code": ("referral_code", "referral_url", "referral_link", "ref_code"),
    # Yotpo's "Birthday (MM/DD) or (MM/DD/YYYY)" reads as "birthday_or"
    "birthday": ("birthday", "date_of_birth", "dob", "birth_date", "birthdate", "birthday_or"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POINTS = re.compile(r"^\d{1,12}(\.0*)?$")
CODE = re.compile(r"^[A-Z0-9]{4,32}$")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
NO_YEAR = 1904  # a leap year: the stored year of a birthday given as MM/DD (Feb 29 included)
REPORT_LIMIT = 1000  # rejected rows and warnings kept in a stored report


@dataclass
class Report:
    total: int = 0
    done: int = 0
    dry_run: bool = False
    customers_created: int = 0
    balances_granted: int = 0
    points_granted: int = 0
    already_imported: int = 0
    tiers_assigned: int = 0
    referral_codes: int = 0
    birthdays: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append({"line": line, "reason": reason})

    def warn(self, line: int, message: str) -> None:
        self.warnings.append({"line": line, "message": message})

    def as_dict(self, limit: int | None = REPORT_LIMIT) -> dict:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["rejected_count"], out["warning_count"] = len(self.rejected), len(self.warnings)
        out["rejected"], out["warnings"] = self.rejected[:limit], self.warnings[:limit]
        return out


@dataclass
class Entry:
    """A row that passed its checks."""

    line: int
    customer_id: str | None
    profile: dict
    points: int
    tier: str
    referral_code: str | None
    birthday: date | None


def import_csv(shop_id: int, text: str, *, dry_run: bool = False, actor: str | None = None,
               progress: Callable[[int, int], None] | None = None, batch_size: int = 1000) -> Report:
    """Import the file's rows; ``progress(done, total)`` is called after every batch."""
    table = csvfile.read(text, COLUMNS, one_of=("customer_id", "email"))
    current = versions.current(shop_id)
    report = Report(total=len(table.rows), dry_run=dry_run, ignored_columns=table.ignored)
    entries = _checked(table.rows, report)
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


# --- checking rows -------------------------------------------------------------------------------

def _checked(rows: list[csvfile.Row], report: Report) -> list[Entry]:
    """Rows that can be imported; the others are rejected with their line and why."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        try:
            if row.error:
                raise ValueError(row.error)
            entry = _entry(row.line, row.cells)
            who = entry.customer_id or entry.profile["email"].lower()
            if who in seen:
                raise ValueError(f"customer {who!r} is already on line {seen[who]}")
            seen[who] = row.line
            out.append(entry)
        except ValueError as exc:
            report.reject(row.line, str(exc))
    return out


def _entry(line: int, cells: dict[str, str]) -> Entry:
    customer_id, email = cells.get("customer_id", ""), cells.get("email", "")
    if not customer_id and not email:
        raise ValueError("neither a customer id nor an email")
    if len(customer_id) > 64 or any(ch.isspace() or not ch.isprintable() for ch in customer_id):
        raise ValueError(f"customer id {customer_id[:70]!r} is not an id (at most 64 characters, no spaces)")
    if email and (len(email) > 320 or not EMAIL.match(email)):
        raise ValueError(f"email {email[:330]!r} is not an email address")
    first, last = cells.get("first_name", ""), cells.get("last_name", "")
    if not first and not last and cells.get("full_name"):
        first, _, last = cells["full_name"].partition(" ")
    if len(first) > 255 or len(last) > 255:
        raise ValueError("a name longer than 255 characters")
    raw_points = cells.get("points", "").replace(" ", "")
    if raw_points and not POINTS.match(raw_points):
        raise ValueError(f"points balance {raw_points[:30]!r} is not a whole number of 0 or more")
    points = int(Decimal(raw_points)) if raw_points else 0
    if points > MAX_POINTS:
        raise ValueError(f"points balance {points} is more than {MAX_POINTS}")
    profile = {"email": email or None, "first_name": first.strip() or None, "last_name": last.strip() or None}
    return Entry(line, customer_id or None, profile, points, cells.get("tier", ""),
                 _code(cells.get("referral_code", "")), _birthday(cells.get("birthday", "")))


def _code(text: str) -> str | None:
    """A referral code, or the code at the end of a referral link (``?ref=CODE`` or ``/CODE``)."""
    if not text:
        return None
    found = re.search(r"[?&]ref(?:erral)?=([^&#]+)", text)
    return (found.group(1) if found else text.rstrip("/").rsplit("/", 1)[-1]).strip().upper()


def _birthday(text: str) -> date | None:
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
            break
        except ValueError:
            continue
    else:
        bare = re.fullmatch(r"(?:--)?(\d{1,2})[/-](\d{1,2})", text)  # MM/DD or --MM-DD: no year
        try:
            day = date(NO_YEAR, int(bare.group(1)), int(bare.group(2))) if bare else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"birthday {text[:30]!r} is not a date (YYYY-MM-DD, MM/DD/YYYY, "
                             "DD.MM.YYYY or MM/DD)")
    if day > clock.now().date():
        raise ValueError(f"birthday {text!r} is in the future")
    return day if day.year >= 1900 else day.replace(year=NO_YEAR)  # Smile writes year 1004 for none


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
                     reason="opening balance imported from CSV", actor=actor, program_version=version,
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
