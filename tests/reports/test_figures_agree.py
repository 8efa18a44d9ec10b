"""Every analytics figure agrees across the pages that show it and with the tables themselves.

A shop is built through the real pipeline (signed Shopify webhooks, applied by the worker): several
customers, a repeat buyer, a partial refund, a full refund, a cancellation, a guest checkout, an
order before the period and points spent on a discount. Then the overview, the analytics page, the
admin API and plugin.reports must all say what direct counts over Order and LedgerEntry say.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import fn

from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Hold, LedgerEntry, Order
from plugin.core.status import HoldStatus
from plugin.customers import shops
from plugin.reports import analytics
from plugin.spend import redemption
from tests.helpers import admin_headers, line_refund, priced_order, sign_in

NOW = datetime(2026, 11, 20, 12, 0)
PEOPLE = {  # platform id -> what the store knows of them
    "801": {"first_name": "Анна", "last_name": "Иванова", "email": "anna@example.ru"},
    "802": {"first_name": "Bob", "last_name": "Norman", "email": "bob@example.com"},
    "803": {"first_name": None, "last_name": None, "email": "carol@example.com"},
    "804": {"first_name": None, "last_name": None, "email": None},
}


#: Entries that move points without granting them (spent, taken back, expired, held, moved).
NOT_GRANTS = (EntryKind.REVERSE, EntryKind.EXPIRE, EntryKind.SPEND, EntryKind.TRANSFER, EntryKind.SETTLE,
              EntryKind.HOLD, EntryKind.RELEASE)


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def paid(order_id: int, customer: str | None, *prices: str, codes: list[dict] | None = None) -> dict:
    """An order paid by ``customer`` (None: a guest checkout) with a line per price."""
    body = priced_order(order_id, *prices)
    body["customer"] = {"id": int(customer), **PEOPLE[customer]} if customer else None
    body["email"] = PEOPLE[customer]["email"] if customer else "guest@example.com"
    body["discount_codes"] = codes or []
    return body


def cancelled(body: dict) -> dict:
    return {**body, "cancelled_at": "2026-11-20T12:00:00Z", "cancel_reason": "customer"}


def build_shop(post_webhook, drain, shop) -> None:
    """Anna orders before the period and twice in it (one partly refunded, one with points off);
    Bob orders once and gets it all back; Carol orders twice, one cancelled; 804 once; a guest once."""
    at(NOW - timedelta(days=45))
    assert post_webhook("orders/paid", paid(100, "801", "500.00")).status_code == 200
    drain()
    at(NOW - timedelta(days=3))
    two_lines = paid(101, "801", "300.00", "200.00")
    bobs = paid(201, "802", "400.00")
    for body in (two_lines, bobs, paid(301, "803", "150.00"), paid(302, "803", "250.00"),
                 paid(401, "804", "90.00"), paid(901, None, "120.00")):
        assert post_webhook("orders/paid", body).status_code == 200
    drain()
    at(NOW - timedelta(days=1))
    assert post_webhook("refunds/create", line_refund(two_lines, 1, 7001)).status_code == 200  # 200 of 500
    assert post_webhook("refunds/create", line_refund(bobs, 0, 7002)).status_code == 200  # all of it
    assert post_webhook("orders/cancelled", cancelled(paid(302, "803", "250.00"))).status_code == 200
    drain()
    at(NOW)
    with session():
        anna = Customer.get(Customer.platform_id == "801")
        hold = redemption.redeem(anna, points=20, lines=[{"line_id": "1", "sku": "A", "amount": "100.00"}],
                                 key="anna-cart", currency="USD")
    code = [{"code": hold.code, "amount": "1.00", "type": "fixed_amount"}]
    assert post_webhook("orders/paid", paid(102, "801", "100.00", codes=code)).status_code == 200
    drain()


def direct_counts(shop, start: datetime, end: datetime) -> dict:
    """The figures counted straight from the tables, the slow obvious way."""
    orders = list(Order.select().where((Order.shop == shop.id) & (Order.created_at >= start)
                                       & (Order.created_at < end)))
    per_customer: dict[int, int] = {}
    for order in orders:
        if order.customer_id:
            per_customer[order.customer_id] = per_customer.get(order.customer_id, 0) + 1
    kept = [o for o in orders if not o.cancelled]
    entries = list(LedgerEntry.select().where(
        (LedgerEntry.shop == shop.id) & (LedgerEntry.created_at >= start) & (LedgerEntry.created_at < end)))
    taken = {code: -sum(e.delta for e in entries if e.kind == EntryKind.REVERSE and e.reason_code == code)
             for code in ("order.refund", "order.cancelled")}
    spent = Hold.select(fn.SUM(Hold.points)).where(
        (Hold.shop == shop.id) & (Hold.status == HoldStatus.COMMITTED) & (Hold.closed_at >= start)
        & (Hold.closed_at < end)).scalar()
    return {
        "orders": len(orders), "customers": len(per_customer),
        "repeat_customers": sum(1 for n in per_customer.values() if n >= 2),
        "guest_orders": sum(1 for o in orders if o.customer_id is None),
        "cancelled": sum(1 for o in orders if o.cancelled),
        "refunded": sum(1 for o in kept if o.refunded > 0),
        "fully_refunded": sum(1 for o in kept if o.refunded > 0 and o.refunded >= o.eligible),
        "revenue": str(sum((o.eligible for o in orders), Decimal(0)).quantize(Decimal("0.01"))),
        "issued": sum(e.delta for e in entries if e.delta > 0 and e.kind not in NOT_GRANTS),
        "reversed": -sum(e.delta for e in entries if e.kind == EntryKind.REVERSE),
        "reversed_refunds": taken["order.refund"], "reversed_cancellations": taken["order.cancelled"],
        "redeemed": int(spent or 0) - sum(e.delta for e in entries if e.kind == EntryKind.SPEND),
    }


def figures_of(summary: dict) -> dict:
    """The same figures as the summary (the API's JSON) states them."""
    every, points = summary["orders"]["all"], summary["points"]
    return {**{name: every[name] for name in ("orders", "customers", "repeat_customers", "guest_orders",
                                              "cancelled", "refunded", "fully_refunded", "revenue")},
            **{name: points[name] for name in ("issued", "reversed", "reversed_refunds",
                                               "reversed_cancellations", "redeemed")}}


def cells(html: str, row: str) -> list[str]:
    """The analytics page's orders table: one row's cells (all, members, non-members)."""
    found = re.search(rf'<tr class="{row}">(.*?)</tr>', html, re.DOTALL)
    assert found, row
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found[1])]


def card(html: str, card_id: str) -> str:
    found = re.search(rf'id="{card_id}"><span class="figure">([^<]*)</span>', html)
    assert found, card_id
    return found[1]


def number(text: str) -> int:
    return int(re.sub(r"[^\d-]", "", text))


def test_every_page_and_the_tables_agree_on_every_figure(app, client, shop, post_webhook, drain):
    build_shop(post_webhook, drain, shop)
    start = NOW.date() - timedelta(days=29)  # the default period: the last 30 days
    with session():
        direct = direct_counts(shop, datetime.combine(start, datetime.min.time()), NOW + timedelta(days=1))
        summary = analytics.summary(shop.id, start, NOW.date())
        days = analytics.daily(shop.id, start, NOW.date())
    # what was built: 100 is before the period; 101, 102 (Anna), 201 (Bob), 301, 302 (Carol), 401, 901 (guest)
    assert (direct["orders"], direct["customers"], direct["repeat_customers"]) == (7, 4, 2)
    assert (direct["guest_orders"], direct["cancelled"]) == (1, 1)
    assert (direct["refunded"], direct["fully_refunded"]) == (2, 1)
    assert direct["reversed_refunds"] > 0 and direct["reversed_cancellations"] > 0
    assert direct["redeemed"] == 20
    assert direct["reversed"] == direct["reversed_refunds"] + direct["reversed_cancellations"]

    assert figures_of(summary) == direct
    every = summary["orders"]["all"]
    assert every["repeat_purchase_rate"] == "0.5000"  # Anna and Carol, of four who ordered
    assert every["partially_refunded"] == 1
    assert sum(d["member_orders"] + d["non_member_orders"] for d in days) == direct["orders"]
    assert sum(d["reversed"] for d in days) == direct["reversed"]
    for name in ("orders", "customers", "repeat_customers"):
        assert summary["orders"]["members"][name] + summary["orders"]["non_members"][name] == every[name]

    api = client.get("/api/v1/analytics", headers=admin_headers(app, shop))
    assert api.status_code == 200 and figures_of(api.get_json()) == direct
    api_days = client.get("/api/v1/analytics/daily", headers=admin_headers(app, shop)).get_json()["days"]
    assert api_days == days

    sign_in(app, client, shop)
    page = client.get("/admin/analytics?lang=en").get_data(as_text=True)
    for name in ("orders", "customers", "repeat_customers", "guest_orders", "cancelled", "refunded",
                 "fully_refunded"):
        assert number(cells(page, name)[0]) == direct[name], name
    assert cells(page, "repeat_purchase_rate")[0] == "50%"
    for name in ("issued", "reversed_refunds", "reversed_cancellations", "redeemed"):
        assert number(card(page, f"points-{name}")) == direct[name], name

    overview = client.get("/admin/overview?lang=en").get_data(as_text=True)
    for name in ("orders", "customers", "cancelled", "refunded"):
        assert number(card(overview, f"recent-{name}")) == direct[name], name
    assert card(overview, "recent-repeat") == "50%"
    for name in ("issued", "redeemed"):
        assert number(card(overview, f"recent-points-{name}")) == direct[name], name


SHOP_NUMBERS = itertools.count(1)  # a fresh shop per hypothesis example
order_events = st.lists(st.tuples(
    st.sampled_from(["paid", "paid", "refund", "cancel"]),
    st.sampled_from([*PEOPLE, None]),  # who pays (a paid order), None: a guest
    st.integers(0, 5),  # which earlier order a refund or cancellation is of
    st.integers(0, 1),  # which of its lines is refunded
    st.integers(0, 3),  # which day
), min_size=1, max_size=14)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=order_events)
def test_figures_equal_the_direct_counts_whatever_the_order_events(app, post_webhook, drain, events):
    """Paid orders, refunds of either line and cancellations, in any order over four days: the
    summary of the days says what the tables say."""
    domain = f"agree{next(SHOP_NUMBERS)}.myshopify.com"
    with session():
        shop, _ = shops.register("shopify", domain, own_webhook_secret=False)
    sent: list[dict] = []
    gone: set[int] = set()  # the orders cancelled
    first = NOW - timedelta(days=3)
    for n, (kind, who, which, line, day) in enumerate(sorted(events, key=lambda e: e[4])):
        at(first + timedelta(days=day, minutes=n))
        if kind == "paid" or not sent:
            sent.append(paid(1000 + n, who, f"{10 + n}.00", "5.00"))
            response = post_webhook("orders/paid", sent[-1], domain=domain)
        elif kind == "refund":
            response = post_webhook("refunds/create", line_refund(sent[which % len(sent)], line, 5000 + n),
                                    domain=domain)
        else:
            gone.add(sent[which % len(sent)]["id"])
            response = post_webhook("orders/cancelled", cancelled(sent[which % len(sent)]), domain=domain)
        assert response.status_code == 200
        drain()
    at(NOW)
    with session():
        direct = direct_counts(shop, first - timedelta(days=1), NOW + timedelta(days=1))
        summary = analytics.summary(shop.id, first.date(), NOW.date())
    assert figures_of(summary) == direct
    assert (direct["orders"], direct["cancelled"]) == (len(sent), len(gone))
