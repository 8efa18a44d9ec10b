"""An existing database from an earlier version is brought up to date at start."""

from __future__ import annotations

import pytest

from plugin import customers
from plugin.core import db
from plugin.core.db import database, session
from plugin.core.models import ALL_MODELS, Customer, Hold, LedgerEntry, Lot, OutboxMessage
from plugin.customers import shops


def test_columns_added_since_an_earlier_version_are_added_with_their_defaults(app):
    with session():
        database.execute_sql('ALTER TABLE "customer" DROP COLUMN "birthday_set_at"')
        database.execute_sql('ALTER TABLE "hold" DROP COLUMN "reward"')
        added = db.add_missing_columns(ALL_MODELS)
        assert sorted(added) == ["customer.birthday_set_at", "hold.reward"]
        assert {"birthday_set_at"} <= {c.name for c in database.get_columns(Customer._meta.table_name)}
        assert {"reward"} <= {c.name for c in database.get_columns(Hold._meta.table_name)}
        assert db.add_missing_columns(ALL_MODELS) == []


def test_a_new_column_without_a_default_is_reported_not_guessed(app):
    with session():
        database.execute_sql('ALTER TABLE "hold" DROP COLUMN "points"')
        with pytest.raises(db.SchemaError, match="hold.points"):
            db.add_missing_columns(ALL_MODELS)
        database.execute_sql('ALTER TABLE "hold" ADD COLUMN "points" BIGINT NOT NULL DEFAULT 0')


def covered_indexes() -> list[str]:
    """Single-column indexes (not unique, not partial) that another index of the table leads with."""
    found = []
    for model in ALL_MODELS:
        indexes = database.get_indexes(model._meta.table_name)
        for index in indexes:
            if len(index.columns) == 1 and not index.unique and " WHERE " not in index.sql.upper() and any(
                    len(other.columns) > 1 and other.columns[0] == index.columns[0] for other in indexes):
                found.append(index.name)
    return found


def test_a_new_database_has_no_index_that_a_composite_one_covers(app):
    with session():
        assert covered_indexes() == []


def test_an_upgraded_database_loses_the_foreign_key_indexes_a_composite_one_covers(app):
    old = {Lot: ["shop_id", "customer_id"], LedgerEntry: ["shop_id", "customer_id"],
           OutboxMessage: ["shop_id", "customer_id"]}  # as an earlier version made them
    with session():
        for model, columns in old.items():
            for column in columns:
                table = model._meta.table_name
                database.execute_sql(f'CREATE INDEX "{table}_{column}" ON "{table}" ("{column}")')
        assert len(covered_indexes()) == 6
    db.bind(app.extensions["loyalty"].settings.database_url)
    with session():
        assert covered_indexes() == []
        assert {"lot_shop_id_key", "ledger_entry_customer_id_id", "outbox_message_shop_id_key"} <= {
            index.name for model in old for index in database.get_indexes(model._meta.table_name)}


def test_a_case_by_id_sets_each_rows_own_value_and_leaves_others(app):
    with session():
        shop, _ = shops.register("shopify", "case-by-id.myshopify.com")
        one, two, three = (customers.ensure(shop.id, pid) for pid in ("a", "b", "c"))
        earned = db.by_id(Customer, {one.id: 5, two.id: 7}, 0)
        Customer.update(lifetime_earned=Customer.lifetime_earned + earned).where(
            db.ids_in(Customer.id, [one.id, two.id, three.id])).execute()
        email = db.by_id(Customer, {one.id: "o'ne@example.com"})
        Customer.update(email=email).where(Customer.id == one.id).execute()
        rows = {c.platform_id: (c.lifetime_earned, c.email) for c in Customer.select()}
    assert rows == {"a": (5, "o'ne@example.com"), "b": (7, None), "c": (0, None)}
