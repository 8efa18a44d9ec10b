"""A Shopify shop's past orders as order lines (the economics simulator's history), read with the
Admin GraphQL ``orders`` query, cursor paged, in the shop's own money (``shopMoney``).

A line costs its original total less every discount allocated to it (line and order discounts
alike); a refund is a negative line per refunded line item at the refund's time, or one negative
line of the refund's total when it names no line (an amount refunded by hand); an order's first
three refunds are read. Orders that are not
paid (pending, voided), cancelled, or test orders are left out. Orders older than 60 days need the
``read_all_orders`` scope.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from plugin.platforms import PlatformError, RateLimited
from plugin.platforms.shopify.client import ShopifyClient
from plugin.reports.economics.history import CENT, PastLine, parse_moment

#: Orders per page and lines per order: a query may cost 1000 points and a shop's bucket refills
#: at 100 a second, so a page asks little: 25 orders of 10 lines and 2 refunds of 5 lines each cost
#: about 600. An order with more lines is completed by LINES_QUERY.
PER_PAGE, LINES, REFUNDS, REFUND_LINES = 25, 10, 2, 5
#: Seconds to wait when Shopify answers THROTTLED (the bucket refills), before giving up with
#: RateLimited (the run fails; RQ retries it later, and lines already stored are not stored twice).
THROTTLE_WAITS = (1, 2, 4, 8, 16)
pause = time.sleep
PAID = {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}
MONEY = "shopMoney { amount }"
LINE_FIELDS = (f"id sku quantity originalTotalSet {{ {MONEY} }} product {{ productType }} "
               f"discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}")
ORDERS_QUERY = f"""
query pastOrders($query: String!, $after: String) {{
  orders(first: {PER_PAGE}, after: $after, query: $query, sortKey: PROCESSED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id processedAt cancelledAt test displayFinancialStatus customer {{ id }}
      lineItems(first: {LINES}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_FIELDS} }} }}
      refunds(first: {REFUNDS}) {{
        id createdAt totalRefundedSet {{ {MONEY} }}
        refundLineItems(first: {REFUND_LINES}) {{
          nodes {{ quantity subtotalSet {{ {MONEY} }} lineItem {{ sku product {{ productType }} }} }}
        }}
      }}
    }}
  }}
}}"""
LINES_QUERY = f"""
query orderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_FIELDS} }} }}
  }}
}}"""


def _numeric(gid) -> str:
    return str(gid).rsplit("/", 1)[-1]


def _money(bag) -> Decimal:
    try:
        return Decimal(str(bag["shopMoney"]["amount"])).quantize(CENT)
    except (KeyError, TypeError, ArithmeticError):
        raise PlatformError(f"Shopify named an amount that is not money: {str(bag)[:80]}") from None


def search(first: date, last: date) -> str:
    """Shopify's order search for orders processed in the period (UTC days, both included)."""
    after = (last + timedelta(days=1)).isoformat()
    return f"processed_at:>='{first.isoformat()}T00:00:00Z' processed_at:<'{after}T00:00:00Z'"


def past_orders(client: ShopifyClient, first: date, last: date) -> Iterator[list[PastLine]]:
    """The paid orders of the period, a page of whole orders at a time."""
    after, query = None, search(first, last)
    while True:
        found = ask(client, ORDERS_QUERY, {"query": query, "after": after}).get("orders") or {}
        page: list[PastLine] = []
        for order in found.get("nodes") or []:
            if _paid(order):
                page += order_lines(client, order)
        yield page
        info = found.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")


def ask(client: ShopifyClient, query: str, variables: dict) -> dict:
    """A query, asked again after a wait while Shopify answers THROTTLED (a job's wait, never a
    web request's: the listing runs as an import run)."""
    waits = iter(THROTTLE_WAITS)
    while True:
        try:
            return client.graphql(query, variables)
        except PlatformError as exc:
            if "THROTTLED" not in str(exc.message):
                raise
            wait = next(waits, None)
            if wait is None:
                raise RateLimited(f"{client.domain}: Shopify's query limit; try again later", 60) from None
        pause(wait)


def _paid(order: dict) -> bool:
    return order.get("displayFinancialStatus") in PAID and not (order.get("cancelledAt") or order.get("test"))


def order_lines(client: ShopifyClient, order: dict) -> list[PastLine]:
    """One order's lines and refunds."""
    order_id = _numeric(order["id"])
    customer = _numeric(order["customer"]["id"]) if order.get("customer") else f"guest-{order_id}"
    placed_at = parse_moment(order["processedAt"])
    items = _all_items(client, order)
    out = [PastLine(order_id, customer, placed_at, _money(item["originalTotalSet"]) - sum(
        (_money(share["allocatedAmountSet"]) for share in item.get("discountAllocations") or []), Decimal(0)),
        _sku(item), _category(item), max(1, int(item.get("quantity") or 1)))
        for item in items]
    for refund in order.get("refunds") or []:
        when = parse_moment(refund["createdAt"])
        refunded = (refund.get("refundLineItems") or {}).get("nodes") or []
        for item in refunded:
            line = item.get("lineItem") or {}
            out.append(PastLine(order_id, customer, when, -_money(item["subtotalSet"]), _sku(line),
                                _category(line), max(1, int(item.get("quantity") or 1))))
        total = _money(refund["totalRefundedSet"])
        if not refunded and total > 0:
            out.append(PastLine(order_id, customer, when, -total))
    return [line for line in out if line.amount != 0]


def _sku(item: dict) -> str | None:
    return (item.get("sku") or "")[:255] or None


def _category(item: dict) -> str | None:
    return ((item.get("product") or {}).get("productType") or "")[:255] or None


def _all_items(client: ShopifyClient, order: dict) -> list[dict]:
    """The order's line items, asked again past the first page when it has more."""
    items = order.get("lineItems") or {}
    nodes, info = list(items.get("nodes") or []), items.get("pageInfo") or {}
    while info.get("hasNextPage"):
        more = ((ask(client, LINES_QUERY, {"id": order["id"], "after": info.get("endCursor")})
                 .get("order") or {}).get("lineItems") or {})
        nodes += more.get("nodes") or []
        info = more.get("pageInfo") or {}
    return nodes
