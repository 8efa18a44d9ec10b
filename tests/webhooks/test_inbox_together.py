"""Deliveries stored at the same moment by many threads: each stored once, duplicates told apart.

On PostgreSQL the receivers' INSERTs of one process are combined into one statement (``ON
CONFLICT DO NOTHING``): a delivery id or business key seen twice in the same statement, or one
already stored, must still come back as a duplicate, and every other delivery with its own id.
"""

from __future__ import annotations

import threading

from plugin.core.db import session
from plugin.core.models import Event
from webhooks import inbox
from webhooks.mapped import order_paid

THREADS = 24


def _store_together(shop, deliveries: list[tuple[str, str]]) -> list[inbox.Stored | None]:
    """Each (delivery id, order id) stored by a thread of its own, all released at once."""
    results: list[inbox.Stored | None] = [None] * len(deliveries)
    start = threading.Barrier(len(deliveries))

    def store(index: int, delivery_id: str, order_id: str) -> None:
        with session():
            start.wait(10)
            results[index] = inbox.store(shop, "shopify", "orders/paid", delivery_id, "{}",
                                         order_paid(None, order_id))

    threads = [threading.Thread(target=store, args=(n, *delivery)) for n, delivery in enumerate(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_deliveries_stored_together_are_each_stored_once(shop):
    with session():
        earlier = inbox.store(shop, "shopify", "orders/paid", "seen-before", "{}", order_paid(None, "500"))
    deliveries = [(f"d-{n}", str(n)) for n in range(THREADS - 6)]
    deliveries += [("d-0", "900"),          # a delivery id twice
                   ("d-again-1", "1"),      # an order twice under two delivery ids
                   ("d-again-2", "2"),
                   ("seen-before", "901"),  # a delivery stored before
                   ("d-late-500", "500"),   # an order stored before
                   ("d-new", "777")]
    results = _store_together(shop, deliveries)

    stored = {delivery: result for delivery, result in zip(deliveries, results, strict=True)}
    new = [result for result in results if result is not None]
    with session():
        rows = {event.id: event for event in Event.select()}
    assert len(rows) == len(new) + 1 == THREADS - 6 + 1 + 1  # d-0..d-17 once, d-new, and "seen-before"
    assert sorted(result.id for result in new) == sorted(set(rows) - {earlier.id})
    for (delivery_id, order_id), result in stored.items():
        if result is not None:
            assert (rows[result.id].delivery_id, rows[result.id].business_key) == (
                delivery_id, f"order.paid:{order_id}")
    assert stored[("seen-before", "901")] is None and stored[("d-late-500", "500")] is None
    assert stored[("d-new", "777")] is not None
    # Of two deliveries of one order (or of one delivery id), exactly one is stored.
    for first, second in ((("d-0", "0"), ("d-0", "900")), (("d-1", "1"), ("d-again-1", "1")),
                          (("d-2", "2"), ("d-again-2", "2"))):
        assert (stored[first] is None) != (stored[second] is None)
