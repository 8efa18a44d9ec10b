"""Rows written before reason codes (English sentences) become codes once, when the upgrade adds
ledger_entry.reason_code; running the conversion again changes nothing, and no balance moves."""

from __future__ import annotations

import json

from plugin import customers, ledger
from plugin.core import db, reason_migration, reasons
from plugin.core.db import database, session
from plugin.core.models import Event, LedgerEntry, TierChange

OLD_ENTRIES = [  # (kind, the sentence an earlier version stored)
    ("earn", "5% on 2490.00; first order: at least 100 points"),
    ("reverse", "order cancelled (negative balance)"),
    ("hold", "held for a discount"),
    ("adjust", "late parcel"),
    ("expire", "expired on 2026-03-01 12:00 UTC"),
    ("bonus", "something an earlier version said"),
]


def write_old_rows(shop) -> None:
    """The rows as an earlier version left them: sentences, and no reason code."""
    with session():
        customer = customers.ensure(shop.id, "c1")
        lot = ledger.grant(customer, 10, kind="bonus", source="test", rule={}, key="seed")
        for n, (kind, sentence) in enumerate(OLD_ENTRIES):
            database.execute_sql(
                f"INSERT INTO ledger_entry (shop_id, customer_id, lot_id, point_type, delta, kind, reason, "
                f"idempotency_key, created_at) VALUES ({database.param}, {database.param}, {database.param}, "
                f"'regular', 0, {database.param}, {database.param}, {database.param}, {database.param})",
                [shop.id, customer.id, lot.id, kind, sentence, f"old-{n}", "2026-01-01 00:00:00"])
        database.execute_sql(
            "INSERT INTO tier_change (shop_id, customer_id, from_tier, to_tier, reason, created_at) VALUES "
            f"({database.param}, {database.param}, 'gold', 'silver', 'downgrade after the grace period', "
            f"{database.param})", [shop.id, customer.id, "2026-01-01 00:00:00"])
        Event.create(shop=shop.id, platform="judgeme", topic="review/created", delivery_id="d1",
                     raw_body="{}", status="applied",
                     error="over the monthly cap of 2 reviews that earn: no points")
        Event.create(shop=shop.id, platform="shopify", topic="orders/paid", delivery_id="d2",
                     raw_body="{}", status="invalid", error="body.id: Missing data for required field.")


def stored() -> tuple[dict, list, list]:
    rows = database.execute_sql("SELECT idempotency_key, reason, reason_code FROM ledger_entry WHERE "
                                f"idempotency_key LIKE {database.param} ORDER BY id", ["old-%"]).fetchall()
    entries = {key: (json.loads(reason), code) for key, reason, code in rows}
    changes = [r for (r,) in database.execute_sql("SELECT reason FROM tier_change").fetchall()]
    errors = [e for (e,) in database.execute_sql("SELECT error FROM event ORDER BY id").fetchall()]
    return entries, changes, errors


def test_old_sentences_become_codes_and_a_second_run_changes_nothing(app, shop):
    write_old_rows(shop)
    with session():
        before = ledger.balances(customers.find(shop.id, "c1"))
        assert reason_migration.run() == len(OLD_ENTRIES) + 2
        entries, changes, errors = stored()
        assert reason_migration.run() == 0
        assert stored() == (entries, changes, errors)
        assert ledger.balances(customers.find(shop.id, "c1")) == before
        seed = LedgerEntry.get(LedgerEntry.idempotency_key == "seed")
    assert seed.reason_code == "text"  # written now: its code was set when it was written
    assert entries["old-0"] == ({"code": "earn.order", "lines": [
        {"code": "earn.percent", "percent": "5", "amount": "2490.00"}],
        "notes": [{"code": "earn.first_order", "points": "100"}]}, "earn.order")
    assert entries["old-1"] == ({"code": "order.cancelled", "in_debt": True}, "order.cancelled")
    assert entries["old-2"] == ({"code": "hold.held"}, "hold.held")
    assert entries["old-3"] == ({"code": "adjust.manual", "text": "late parcel"}, "adjust.manual")
    assert entries["old-4"] == ({"code": "expire", "at": "2026-03-01 12:00"}, "expire")
    assert entries["old-5"] == ({"code": "text", "text": "something an earlier version said"}, "text")
    assert [json.loads(c) for c in changes] == [{"code": "tier.downgrade"}]
    assert json.loads(errors[0]) == {"code": "event.review_cap", "cap": "2"}
    assert errors[1] == "body.id: Missing data for required field."  # a schema's words stay as they are
    assert reasons.render(entries["old-0"][0], "ru") == (
        "5% с суммы 2\xa0490,00; первый заказ: не меньше 100 баллов")


def test_the_upgrade_that_adds_the_code_column_converts_the_old_rows(app, shop):
    write_old_rows(shop)
    with session():
        database.execute_sql('ALTER TABLE "ledger_entry" DROP COLUMN "reason_code"')
    db.bind(app.extensions["loyalty"].settings.database_url)
    with session():
        entries, changes, errors = stored()
        assert {key: code for key, (_, code) in entries.items()} == {
            "old-0": "earn.order", "old-1": "order.cancelled", "old-2": "hold.held",
            "old-3": "adjust.manual", "old-4": "expire", "old-5": "text"}
        assert json.loads(changes[0]) == {"code": "tier.downgrade"}
        assert TierChange.get().reason == {"code": "tier.downgrade"}
    db.bind(app.extensions["loyalty"].settings.database_url)  # a restart: nothing left to convert
    with session():
        assert stored() == (entries, changes, errors)
