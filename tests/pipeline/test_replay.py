"""Replaying a webhook stream three times, shuffled, leaves every balance as one ordered delivery."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from plugin.core.db import session
from plugin.core.models import Customer, Event, LedgerEntry
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.program import versions
from tests.helpers import fixture_json

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
REFUND = fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json")
CUSTOMER = fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")
_domains = itertools.count()
RICH = {  # bands, categories, multipliers, a campaign and pending points: all order-independent
    "point_types": {"regular": {}},
    "categories": {"ipods": {"sku_prefixes": ["IPOD"]}},
    "earning": {"rate": {"kind": "bands", "bands": [{"from": "0", "to": "500", "points": 10},
                                                    {"from": "500", "points": 60}]},
                "rounding": "nearest", "pending_days": 10,
                "category_rules": [{"category": "ipods", "multiplier": "1.5"}]},
    "campaigns": [{"name": "all year", "starts_at": "2000-01-01T00:00:00",
                   "ends_at": "2100-01-01T00:00:00", "multiplier": "2", "bonus": 5}],
    "signup": {"points": 100},
}


def stream(rng: random.Random, customers: int = 4, orders: int = 8) -> list[tuple[str, dict]]:
    """Sign-ups, orders (sent as orders/create and orders/paid), partial refunds, cancellations."""
    out = []
    for c in range(customers):
        out.append(("customers/create", {**CUSTOMER, "id": 5000 + c, "email": f"c{c}@example.com"}))
    for o in range(orders):
        order = {**ORDER, "id": 7000 + o, "financial_status": "paid",
                 "customer": {**ORDER["customer"], "id": 5000 + rng.randrange(customers)}}
        order["line_items"] = [
            {**line, "id": 80000 + o * 10 + n, "price": f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}",
             "quantity": rng.randint(1, 3)}
            for n, line in enumerate(ORDER["line_items"])
        ]
        out.append(("orders/paid", order))
        if rng.random() < 0.5:
            out.append(("orders/create", order))
        refunded = rng.sample(order["line_items"], rng.randint(0, len(order["line_items"])))
        for n, line in enumerate(refunded):
            refund = {**REFUND, "id": 90000 + o * 10 + n, "order_id": order["id"]}
            refund["refund_line_items"] = [{**REFUND["refund_line_items"][0], "line_item": line,
                                            "quantity": rng.randint(1, line["quantity"])}]
            out.append(("refunds/create", refund))
        if rng.random() < 0.25:
            out.append(("orders/cancelled", order))
    return out


def deliver(post_webhook, drain, domain: str, deliveries) -> None:
    for topic, body, delivery_id in deliveries:
        assert post_webhook(topic, body, domain=domain, delivery=delivery_id).status_code == 200
    drain()


def balances(domain: str) -> dict[str, int]:
    with session():
        shop = shops.by_domain("shopify", domain)
        return {c.platform_id: sum(e.delta for e in LedgerEntry.select().where(LedgerEntry.customer == c))
                for c in Customer.select().where(Customer.shop == shop.id)}


def open_events(domain: str) -> int:
    with session():
        shop = shops.by_domain("shopify", domain)
        return Event.select().where((Event.shop == shop.id)
                                    & Event.status.in_([EventStatus.PENDING, EventStatus.WAITING,
                                                        EventStatus.FAILED])).count()


# No shrinking: a seed is already a minimal, reproducible description of a failing stream.
@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), rich=st.booleans())
def test_three_shuffled_replays_equal_one_ordered_delivery(app, post_webhook, drain, seed, rich):
    rng = random.Random(seed)
    events = stream(rng)
    ordered, replayed = (f"shop{next(_domains)}.myshopify.com" for _ in range(2))
    with session():
        for domain in (ordered, replayed):
            shop, _ = shops.register("shopify", domain, own_webhook_secret=False)
            if rich:
                versions.save(shop.id, RICH, author="test")

    deliver(post_webhook, drain, ordered,
            [(topic, body, f"once-{i}") for i, (topic, body) in enumerate(events)])
    # Each copy: the same delivery id (a retry) or a new one (another subscription's delivery).
    copies = [(topic, body, f"{i}" if rng.random() < 0.5 else f"{i}-copy{k}")
              for k in range(3) for i, (topic, body) in enumerate(events)]
    rng.shuffle(copies)
    deliver(post_webhook, drain, replayed, copies)

    assert balances(replayed) == balances(ordered)
    assert sum(balances(ordered).values()) > 0
    assert open_events(ordered) == open_events(replayed) == 0
