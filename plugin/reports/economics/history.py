"""Past orders for the simulator: order lines read from a CSV file, the shop's imported history, or
the plugin's own orders, all in one shape.

One CSV row is one order line: ``order_id``, ``customer_id``, ``placed_at``, ``amount`` (what the
line cost after discounts, in the shop currency), optional ``sku``, ``category``, ``quantity``.
A line with a negative amount is a refund of that much of the order (of the line with its SKU
when it names one), on its own date. No database: the CLI simulates a file with no shop at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from plugin.core import csvfile
from plugin.core.errors import Invalid
from plugin.core.memory import no_cycle_collection

COLUMNS = {
    "order_id": ("order_id", "order", "order_number", "order_no", "order_name", "nomer_zakaza"),
    "customer_id": ("customer_id", "customer", "client_id", "buyer_id", "customer_email", "email"),
    "placed_at": ("placed_at", "created_at", "date", "order_date", "processed_at", "paid_at", "data"),
    "amount": ("amount", "line_total", "total", "line_amount", "sum", "price_total", "summa"),
    "sku": ("sku", "article", "artikul", "product_sku"),
    "category": ("category", "product_type", "kategoriya", "collection"),
    "quantity": ("quantity", "qty", "kolichestvo"),
}
REQUIRED = ("order_id", "customer_id", "placed_at", "amount")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                "%d.%m.%Y")
MAX_AMOUNT = Decimal("1e12")
MAX_ID = 64
CENT = Decimal("0.01")


class PastLine(NamedTuple):
    """One order line as the history holds it; a negative amount is a refund (a tuple: a year of
    a store's lines is made in a second)."""
    order_id: str
    customer_id: str
    placed_at: datetime  # naive UTC
    amount: Decimal
    sku: str | None = None
    category: str | None = None
    quantity: int = 1


@dataclass
class PastOrder:
    """An order as the simulator replays it: the canonical order the earning engine reads, and the
    refunds that came later (when, and how much of which line)."""
    order_id: str
    customer_id: str
    placed_at: datetime
    order: dict
    refunds: list[tuple[datetime, dict[str, Decimal]]] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((Decimal(line["amount"]) for line in self.order["lines"]), Decimal(0))


@dataclass
class Reading:
    lines: list[PastLine]
    rejected: list[dict]  # {"line": n, "reason": "..."}
    ignored_columns: list[str]


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time (a zone is converted to UTC) or a day as Russian and ISO files write it."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise ValueError(f"placed_at {text[:40]!r} is not a date "
                         "(YYYY-MM-DD, an ISO time or DD.MM.YYYY)") from None
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def parse_amount(text: str) -> Decimal:
    """'1 290,50', '1290.50' and '-300' are amounts; a thousands separator is a space."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"amount {text[:40]!r} is not a number") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"amount {text[:40]!r} is not a finite amount below {MAX_AMOUNT:,.0f}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount {text[:40]!r} has more than two decimal places")
    return amount.quantize(CENT)


def _ident(cells: dict[str, str], name: str) -> str:
    value = cells.get(name, "")
    if not value:
        raise ValueError(f"{name} is empty")
    if len(value) > MAX_ID or not value.isprintable():
        raise ValueError(f"{name} {value[:70]!r} is not an id (at most {MAX_ID} printable characters)")
    return value


def _optional(cells: dict[str, str], name: str) -> str | None:
    value = cells.get(name, "")
    if len(value) > 255 or not value.isprintable():
        raise ValueError(f"{name} {value[:70]!r} is longer than 255 characters or not printable")
    return value or None


def line_of(cells: dict[str, str]) -> PastLine:
    """A checked line; ValueError says what is wrong with the row."""
    quantity_text = cells.get("quantity", "").strip()
    if quantity_text and not (quantity_text.isdigit() and 0 < int(quantity_text) <= 10**6):
        raise ValueError(f"quantity {quantity_text[:20]!r} is not a whole number from 1 to 1000000")
    return PastLine(_ident(cells, "order_id"), _ident(cells, "customer_id"),
                    parse_moment(cells.get("placed_at", "") or "?"),
                    parse_amount(cells.get("amount", "") or "?"),
                    _optional(cells, "sku"), _optional(cells, "category"),
                    int(quantity_text) if quantity_text else 1)


def read_csv(text: str) -> Reading:
    """The file's lines that can be used, and each other row's line number and why not."""
    with no_cycle_collection():
        return _read(text)


def _read(text: str) -> Reading:
    table = csvfile.read(text, COLUMNS, one_of=("order_id",))
    missing = [name for name in REQUIRED if name not in table.fields]
    if missing:
        raise Invalid(f"the header row needs the columns {', '.join(REQUIRED)}; "
                      f"it lacks {', '.join(missing)}",
                      fields={"file": [f"no {name} column" for name in missing]})
    lines, rejected = [], []
    for row in table.rows:
        try:
            if row.error:
                raise ValueError(row.error)
            lines.append(line_of(row.cells))
        except ValueError as exc:
            rejected.append({"line": row.line, "reason": str(exc)})
    return Reading(lines, rejected, table.ignored)


def _canonical_line(n: int, line: PastLine) -> dict:
    """An order line as the earning engine reads it: the CSV's category is both the product type and
    a tag, so a program category that matches either takes it."""
    out: dict = {"line_id": f"{n}", "amount": str(line.amount), "quantity": line.quantity}
    if line.sku:
        out["sku"] = line.sku
    if line.category:
        out["product_type"], out["tags"] = line.category, [line.category]
    return out


def orders_of(lines: Iterable[PastLine]) -> list[PastOrder]:
    """Lines grouped into orders in time order. The sale is the order's positive lines at its first
    time; each negative line is a refund at its own time, of the line with the same SKU (or
    category) when there is one, else spread over the order by the engine."""
    with no_cycle_collection():
        return _grouped(lines)


def _grouped(lines: Iterable[PastLine]) -> list[PastOrder]:
    grouped: dict[str, list[PastLine]] = {}
    for line in lines:
        grouped.setdefault(line.order_id, []).append(line)
    orders = []
    for order_id, group in grouped.items():
        sales = [line for line in group if line.amount > 0]
        refunds = [line for line in group if line.amount < 0] if len(sales) < len(group) else []
        if not sales:
            continue  # a refund of an order outside the history: nothing was earned on it here
        placed_at = min(line.placed_at for line in sales) if len(sales) > 1 else sales[0].placed_at
        canonical = [_canonical_line(n, line) for n, line in enumerate(sales)]
        past = PastOrder(order_id, sales[0].customer_id, placed_at,
                         {"order_id": order_id, "placed_at": placed_at.isoformat(), "lines": canonical,
                          "shipping": "0", "tax": "0"})
        for refund in sorted(refunds, key=lambda line: line.placed_at):
            past.refunds.append((max(refund.placed_at, placed_at), _refund_split(canonical, sales, refund)))
        orders.append(past)
    orders.sort(key=lambda order: (order.placed_at, order.order_id))
    return orders


def _refund_split(canonical: list[dict], sales: list[PastLine], refund: PastLine) -> dict[str, Decimal]:
    """line id -> amount refunded: the matching line first, the rest pro rata over the order."""
    wanted = -refund.amount
    match = next((n for n, sale in enumerate(sales) if refund.sku and sale.sku == refund.sku), None)
    if match is None and refund.category:
        match = next((n for n, sale in enumerate(sales) if sale.category == refund.category), None)
    if match is not None and wanted <= sales[match].amount:
        return {canonical[match]["line_id"]: wanted}
    total = sum((sale.amount for sale in sales), Decimal(0))
    wanted = min(wanted, total)
    shares = {canonical[n]["line_id"]: (wanted * sale.amount / total).quantize(CENT)
              for n, sale in enumerate(sales)}
    last = canonical[-1]["line_id"]
    shares[last] += wanted - sum(shares.values(), Decimal(0))
    return shares
