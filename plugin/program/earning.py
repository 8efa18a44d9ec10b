"""What an order earns under a program, line by line, with the reason for every point.

The evaluation is exact (Decimal) until one rounding of the order's total, so the breakdown adds
up and the same order always earns the same points. Reversals evaluate the order again, minus
what was refunded, under the *same program version*: a refund months later reverses at the rate
the order earned with, whatever the program says today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from plugin.core import reasons

ROUNDINGS = {"down": ROUND_FLOOR, "nearest": ROUND_HALF_UP, "up": ROUND_CEILING}
HUNDRED = Decimal(100)
PRECISION = Decimal("0.000001")


@dataclass
class Line:
    line_id: str
    amount: Decimal
    categories: list[str]
    excluded: str | None = None
    why: reasons.Reason | None = None  # the rate and multipliers (a reason code), when it earns
    exact: Decimal = Decimal(0)

    @property
    def rule(self) -> str:
        return reasons.render(self.why, "en") if self.why else ""

    def as_dict(self) -> dict:
        return {"line_id": self.line_id, "amount": str(self.amount), "categories": self.categories,
                "excluded": self.excluded, "rule": self.rule, "why": self.why, "points": str(self.exact)}


@dataclass
class Earned:
    points: int
    point_type: str
    eligible: Decimal
    lines: list[Line]
    why_notes: list = field(default_factory=list)  # reasons (or a mapping's own words)
    campaigns: list[str] = field(default_factory=list)  # names that raised it (analytics counts them)

    @property
    def notes(self) -> list[str]:
        return [reasons.render(note, "en") for note in self.why_notes]

    @property
    def reason(self) -> reasons.Reason:
        return reasons.earn_order([{**line.why, "amount": str(line.amount)} for line in self.lines
                                   if line.why and not line.excluded], self.why_notes)

    def as_dict(self) -> dict:
        return {"points": self.points, "point_type": self.point_type, "eligible": str(self.eligible),
                "lines": [line.as_dict() for line in self.lines], "notes": self.notes,
                "why_notes": [reasons.load(note) for note in self.why_notes], "campaigns": self.campaigns}


def categories_of(program: dict, line: dict) -> list[str]:
    """The program's categories an order line belongs to, from what the line itself carries."""
    found = []
    tags = {t.lower() for t in line.get("tags") or ()}
    product_type, vendor, sku, product_id = (line.get("product_type"), line.get("vendor"), line.get("sku"),
                                             line.get("product_id"))
    for name, rule in program["categories"].items():
        if ((product_type and product_type in rule["product_types"])
                or (vendor and vendor in rule["vendors"])
                or (sku and sku.startswith(tuple(rule["sku_prefixes"])))
                or (tags and any(t.lower() in tags for t in rule["tags"]))
                or (product_id and product_id in rule["product_ids"])):
            found.append(name)
    return found


def _rate(rate: dict, amount: Decimal) -> tuple[Decimal, reasons.Reason]:
    if rate["kind"] == "percent":
        return amount * rate["percent"] / HUNDRED, reasons.earn_percent(rate["percent"])
    return amount * rate["points"] / rate["per"], reasons.earn_per(rate["points"], rate["per"])


def _band(rate: dict, amount: Decimal) -> int:
    for band in rate["bands"]:
        if amount >= band["min"] and (band["max"] is None or amount < band["max"]):
            return band["points"]
    return 0


def _campaign_factor(program: dict, line: Line, campaigns: list[dict]) -> tuple[Decimal, list[str]]:
    factors = [(c["multiplier"], c["name"]) for c in campaigns if c.get("multiplier") is not None
               and (not c["categories"] or set(c["categories"]) & set(line.categories))]
    if not factors:
        return Decimal(1), []
    stacking = program["campaign_stacking"]
    if stacking == "highest":
        best = max(factors)
        return best[0], [best[1]]
    if stacking == "multiply":
        total = Decimal(1)
        for factor, _ in factors:
            total *= factor
        return total, [name for _, name in factors]
    return Decimal(1) + sum((f - 1 for f, _ in factors), Decimal(0)), [name for _, name in factors]


def active_campaigns(program: dict, at: datetime, customer_id: str | None) -> list[dict]:
    return [c for c in program["campaigns"]
            if naive(c["starts_at"]) <= at < naive(c["ends_at"])
            and (not c["customers"] or (customer_id is not None and customer_id in c["customers"]))]


def naive(moment: datetime) -> datetime:
    """Program times may carry a zone; the clock is naive UTC."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def evaluate(program: dict, order: dict, *, at: datetime, customer_id: str | None,
             first_order: bool = False, allowance: int | None = None,
             refunded: dict[str, str] | None = None) -> Earned:
    """Points an order earns: per-line rates and exclusions, bands, campaigns, minimums, limits.

    ``refunded`` (line id -> amount) evaluates what the order still earns after refunds;
    ``allowance`` is what the customer's earning limits still allow.
    """
    earning = program["earning"]
    refunded = refunded or {}
    excluded_cats = set(earning["exclude_categories"])
    lines: list[Line] = []
    for raw in order["lines"]:
        amount = Decimal(raw["amount"]) - Decimal(refunded.get(raw["line_id"], "0"))
        line = Line(raw["line_id"], max(amount, Decimal(0)), categories_of(program, raw))
        if raw.get("gift_card"):
            line.excluded = "gift card"
        elif excluded_cats & set(line.categories):
            line.excluded = "excluded category " + ", ".join(sorted(excluded_cats & set(line.categories)))
        elif raw.get("on_sale") and earning["exclude_sale_items"]:
            line.excluded = "sale item"
        lines.append(line)
    for name, flag in (("shipping", "include_shipping"), ("tax", "include_tax")):
        if earning[flag] and Decimal(order.get(name) or 0) > 0:
            lines.append(Line(name, Decimal(order[name]), []))
    counted = [line for line in lines if not line.excluded]
    eligible = sum((line.amount for line in counted), Decimal(0))
    notes: list = list(order.get("notes") or [])  # what the order's mapping could not know
    if eligible < earning["min_order"] or eligible <= 0:
        if eligible > 0:
            notes.append(reasons.below_minimum(earning["min_order"]))
        return Earned(0, earning["point_type"], eligible, lines, notes)

    rate, banded = earning["rate"], []
    for line in counted:
        rule = next((r for r in earning["category_rules"]
                     if r.get("rate") and r["category"] in line.categories), None)
        if rule:
            line.exact, line.why = _rate(rule["rate"], line.amount)
            line.why["category"] = rule["category"]
        elif rate["kind"] == "bands":
            banded.append(line)
        else:
            line.exact, line.why = _rate(rate, line.amount)
    if banded:  # a band table gives points for the banded lines' total, shared out for the breakdown
        total = sum((line.amount for line in banded), Decimal(0))
        band_points = Decimal(_band(rate, total))
        for line in banded:
            line.exact = band_points * line.amount / total if total else Decimal(0)
            line.why = reasons.earn_band(total, band_points)
    campaigns, applied = active_campaigns(program, at, customer_id), []
    for line in counted:
        for rule in earning["category_rules"]:
            if rule.get("multiplier") is not None and rule["category"] in line.categories:
                line.exact *= rule["multiplier"]
                line.why.setdefault("times", []).append([str(rule["multiplier"]), rule["category"]])
        factor, names = _campaign_factor(program, line, campaigns)
        if names:
            line.exact *= factor
            line.why.setdefault("times", []).append([str(factor), ", ".join(names)])
            applied += [name for name in names if name not in applied]
    exact = sum((line.exact for line in counted), Decimal(0))
    bonuses = [(c["bonus"], c["name"]) for c in campaigns if c["bonus"]]
    if bonuses:
        chosen = [max(bonuses)] if program["campaign_stacking"] == "highest" else bonuses
        exact += sum(b for b, _ in chosen)
        notes += [reasons.campaign_bonus(b, name) for b, name in chosen]
        applied += [name for _, name in chosen if name not in applied]
    # Shares (a band split over lines, N per M) are repeating decimals: settle the noise of the
    # division before the one rounding, or 199.99999... of a 200-point band would floor to 199.
    exact = exact.quantize(PRECISION)
    points = int(exact.to_integral_value(rounding=ROUNDINGS[earning["rounding"]]))
    if first_order and points < earning["first_order_min_points"]:
        notes.append(reasons.first_order(earning["first_order_min_points"]))
        points = earning["first_order_min_points"]
    if allowance is not None and points > allowance:
        notes.append(reasons.earning_limit(allowance, points))
        points = max(allowance, 0)
    return Earned(max(points, 0), earning["point_type"], eligible, lines, notes, applied)
