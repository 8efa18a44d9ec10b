"""What carts would earn and may pay under two programs (the draft and the running version).

Built-in sample carts hold one line per category of the draft (matched as a real line would be:
by its SKU prefix, tag, type, vendor or product id) and one line of no category; the shop's
recent real orders follow. The numbers come from the rules' own functions (plugin.program.earning
and plugin.program.caps), so the preview can't disagree with what an order will earn.
"""

from __future__ import annotations

from decimal import Decimal

from plugin.core import clock
from plugin.core.models import Order
from plugin.program import caps
from plugin.program.earning import evaluate

RECENT = 5
#: (sample name, amount of each line) in the shop's currency
SAMPLES = (("small", Decimal(1000)), ("large", Decimal(10000)))
PLENTY = 10**9  # "may pay" assumes the shopper has points enough of every type


def sample_line(name: str, category: dict, amount: Decimal) -> dict:
    """A line the category matches, as an order webhook would carry it."""
    line = {"line_id": name, "amount": str(amount), "title": name}
    if category["sku_prefixes"]:
        line["sku"] = f"{category['sku_prefixes'][0]}1"
    elif category["tags"]:
        line["tags"] = [category["tags"][0]]
    elif category["product_types"]:
        line["product_type"] = category["product_types"][0]
    elif category["vendors"]:
        line["vendor"] = category["vendors"][0]
    elif category["product_ids"]:
        line["product_id"] = category["product_ids"][0]
    return line


def carts(shop_id: int, program: dict) -> list[dict]:
    """[{"sample": name} or {"order": platform id}, "lines": [...], "amount": total}]."""
    out = []
    for name, amount in SAMPLES:
        lines = [sample_line(cat, rule, amount) for cat, rule in program["categories"].items()]
        lines.append({"line_id": "other", "amount": str(amount), "sku": "", "title": "other"})
        out.append({"sample": name, "lines": lines})
    recent = (Order.select(Order.platform_id, Order.order).where(Order.shop == shop_id)
              .order_by(Order.created_at.desc(), Order.id.desc()).limit(RECENT))
    out.extend({"order": row.platform_id, "lines": row.order.get("lines") or []} for row in recent)
    for cart in out:
        cart["amount"] = sum((Decimal(line["amount"]) for line in cart["lines"]), Decimal(0))
    return out


def outcome(program: dict, cart: dict) -> dict:
    """Points the cart earns (as a first order too) and the most points that may pay for it."""
    order = {"lines": cart["lines"]}
    now = clock.now()
    pays = caps.payable(program, cart["lines"], {name: PLENTY for name in program["point_types"]})
    return {"points": evaluate(program, order, at=now, customer_id=None).points,
            "first": evaluate(program, order, at=now, customer_id=None, first_order=True).points,
            "point_type": program["earning"]["point_type"], "pays": pays["by_type"],
            "pays_total": pays["total"]}


def compare(shop_id: int, draft: dict, running: dict) -> list[dict]:
    """Each cart with its outcome under the draft and under the running program."""
    return [{**cart, "draft": outcome(draft, cart), "running": outcome(running, cart)}
            for cart in carts(shop_id, draft)]
