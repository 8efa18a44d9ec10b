"""A WooCommerce order's refunds, read once and applied to its snapshot.

WooCommerce lists an order's refunds in the order (``refunds``: id, reason, total) without their
lines; a refund's lines come from ``GET /orders/<id>/refunds`` (quantity and total negative, meta
``_refunded_item_id`` naming the order's line). Each refund is read once and kept in the
PlatformObject cache (kind ``woocommerce.refund``); the snapshot's lines are then lowered by what
came back (a line returned whole drops) and money refunded without a quantity (an amount-only
refund, shipping, or more than the lines' totals) becomes the snapshot's ``refunded``, a share of
the order's ``total`` that the derivation reverses pro rata.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from plugin.core.db import write_transaction
from plugin.core.models import PlatformObject
from plugin.platforms import PlatformError
from plugin.platforms.woocommerce.client import WooClient

KIND = "woocommerce.refund"
PER_PAGE = 100
REFUNDED_ITEM = "_refunded_item_id"


def _decimal(value: Any) -> Decimal:
    if value in (None, "") or isinstance(value, bool):
        return Decimal(0)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def _line_of(item: dict) -> str | None:
    for meta in item.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == REFUNDED_ITEM:
            value = str(meta.get("value") or "")
            return value if value.isascii() and value.isdigit() else None
    return None


def facts(refund: dict) -> dict:
    """What the plugin keeps of a refund: its amount and, per order line, what came back."""
    lines = []
    for item in refund.get("line_items") or []:
        line_id = _line_of(item) if isinstance(item, dict) else None
        if line_id is None:
            continue
        lines.append({"line_id": line_id, "quantity": abs(int(_decimal(item.get("quantity")))),
                      "total": str(abs(_decimal(item.get("total")))),
                      "tax": str(abs(_decimal(item.get("total_tax"))))})
    return {"amount": str(abs(_decimal(refund.get("amount")))), "lines": lines}


def cached(shop_id: int, refund_ids: list[str]) -> dict[str, dict]:
    if not refund_ids:
        return {}
    return {row.platform_id: row.data for row in PlatformObject.select().where(
        (PlatformObject.shop == shop_id) & (PlatformObject.kind == KIND)
        & PlatformObject.platform_id.in_(refund_ids))}


def read(client: WooClient, shop_id: int, order_id: str, wanted: list[str]) -> dict[str, dict]:
    """One call for the order's refunds; each kept once. A listed refund the store no longer has
    (deleted since) is kept as nothing refunded, so the order is not read again and again."""
    answer = client.get(f"/orders/{order_id}/refunds", {"per_page": PER_PAGE})
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise PlatformError(f"{client.domain} answered the refunds of order {order_id} without a list")
    found = {str(item.get("id")): facts(item) for item in answer if item.get("id") is not None}
    for refund_id in wanted:
        found.setdefault(refund_id, {"amount": "0", "lines": [], "gone": True})
    with write_transaction():
        for refund_id, data in found.items():
            PlatformObject.insert(shop=shop_id, kind=KIND, platform_id=refund_id[:255], data=data,
                                  ).on_conflict_ignore().execute()
    return found


def complete(payload: dict, refunds: list[dict]) -> dict:
    """The snapshot with its refunds applied: lines lowered by the returned quantities and
    totals (a line returned whole drops), money beyond them in ``refunded`` with the order's
    ``total``, and ``unread`` gone."""
    done = copy.deepcopy(payload)
    done.pop("unread", None)
    returned: dict[str, tuple[int, Decimal]] = {}
    beyond = Decimal(0)
    for refund in refunds:
        in_lines = Decimal(0)
        for line in refund["lines"]:
            total, tax = Decimal(line["total"]), Decimal(line["tax"])
            if line["quantity"] <= 0:
                continue  # money off a line without a quantity back: a share of the order below
            quantity, money = returned.get(line["line_id"], (0, Decimal(0)))
            returned[line["line_id"]] = (quantity + line["quantity"], money + total)
            in_lines += total + tax
        beyond += max(Decimal(0), Decimal(refund["amount"]) - in_lines)
    lines = []
    for line in done["order"]["lines"]:
        quantity, money = returned.get(line["line_id"], (0, Decimal(0)))
        left = line["quantity"] - quantity
        if quantity and left <= 0:
            continue
        if quantity:
            line = {**line, "quantity": left, "amount": str(max(Decimal(0), Decimal(line["amount"]) - money))}
        lines.append(line)
    done["order"]["lines"] = lines
    total = Decimal(done.get("refunds", {}).get("total") or 0)
    if beyond > 0 and total > 0:
        done["refunded"], done["total"] = str(min(beyond, total)), str(total)
    return done
