"""Reading an import file's rows: the columns other loyalty apps name, a row's checks, and the report.

No database: a row is checked on its own (plugin.dataio.imports writes the rows that pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from plugin.core import clock, csvfile

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
class RunReport:
    """What every import reports: rows read and done, and the rejected rows and warnings by line."""

    total: int = 0
    done: int = 0
    dry_run: bool = False
    already_imported: int = 0
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
class Report(RunReport):
    """A customers import's report."""

    customers_created: int = 0
    balances_granted: int = 0
    points_granted: int = 0
    tiers_assigned: int = 0
    referral_codes: int = 0
    birthdays: int = 0


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


def checked(rows: list[csvfile.Row], report: Report) -> list[Entry]:
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
