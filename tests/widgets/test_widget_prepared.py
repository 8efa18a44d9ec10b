"""On PostgreSQL the widget's reads run as prepared statements: from a connection's second request
on, every statement the account, the quote and the offers send is an EXECUTE, whatever constants
(a str enum, a Decimal) its query carries. Planning cost PostgreSQL more than running them did."""

from __future__ import annotations

import pytest

from plugin.core import prepared
from plugin.core.base import database
from tests.helpers import fixture_json, shopper_headers

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
BOB = "207119551"
CART = {"lines": [{"product_id": "900", "sku": "CASE-1", "price": "100.00", "quantity": 2}]}
ENDPOINTS = {"account": ("get", "/widget/v1/account", None),
             "quote": ("post", "/widget/v1/quote", {"cart": CART}),
             "offers": ("get", "/widget/v1/offers", None)}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_every_read_of_a_warm_connection_is_executed_prepared(
        app, client, shop, backend, post_webhook, drain, endpoint):
    if backend != "postgres":
        pytest.skip("PREPARE is PostgreSQL's; SQLite runs the SQL as it is")
    assert post_webhook("orders/paid", ORDER).status_code == 200
    drain()
    method, path, body = ENDPOINTS[endpoint]
    headers = shopper_headers(app, shop, BOB)
    sent: list[list[str]] = []
    execute = database.obj.execute_sql

    def watching(sql, *args, **kwargs):
        sent[-1].append(sql)
        return execute(sql, *args, **kwargs)

    database.obj.execute_sql = watching
    answers = []
    try:
        for _ in range(2):
            sent.append([])
            answers.append(getattr(client, method)(path, json=body, headers=headers))
    finally:
        del database.obj.execute_sql
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[0].get_json() == answers[1].get_json()
    second = sent[1]
    assert any('FROM "customer"' in prepared.statement(sql) for sql in second)
    assert [sql for sql in second if not sql.startswith("EXECUTE loyalty_")] == []
