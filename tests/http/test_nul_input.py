"""A NUL character cannot be stored by PostgreSQL (SQLite would keep it): every way in refuses
it the same on both backends, with a 4xx and nothing written."""

from __future__ import annotations

from plugin import customers
from plugin.core.db import session
from plugin.core.models import Customer, LedgerEntry
from tests.helpers import admin_headers, post_form, shopper_headers, sign_in


def entries(shop) -> int:
    with session():
        return LedgerEntry.select().where(LedgerEntry.shop == shop.id).count()


def test_a_nul_in_the_path_or_the_query_is_400(app, client, shop):
    headers = admin_headers(app, shop)
    for url in ("/api/v1/customers?q=a%00b", "/api/v1/customers/a%00b", "/api/v1/activities?customer_id=%00",
                "/api/v1/events?st%00atus=failed", "/widget/v1/account?lang=%00"):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, url
        assert response.get_json()["error"] == "nul_character"


def test_a_nul_anywhere_in_a_json_body_is_400_and_nothing_moves(app, client, shop):
    with session():
        customers.ensure(shop.id, "c1")
    adjusted = client.post("/api/v1/customers/c1/adjustments",
                           json={"points": 5, "point_type": "regular", "reason": "oops\u0000"},
                           headers={**admin_headers(app, shop), "X-Loyalty-Actor": "Olga",
                                    "Idempotency-Key": "nul-key-0001"})
    quoted = client.post("/widget/v1/quote", json={"cart": {"lines": [{"sku": "A\u0000", "price": "1"}]}},
                         headers=shopper_headers(app, shop, "c1"))
    keyed = client.post("/api/v1/program/preview", json={"cart\u0000": {}}, headers=admin_headers(app, shop))
    assert [r.status_code for r in (adjusted, quoted, keyed)] == [400, 400, 400]
    assert entries(shop) == 0


def test_a_nul_in_a_dashboard_form_is_400_and_nothing_moves(app, client, shop):
    with session():
        customers.ensure(shop.id, "c2")
    sign_in(app, client, shop)
    form = {"points": "5", "point_type": "regular", "reason": "x\u0000y", "key": "nul-form-0001"}
    response = post_form(client, "/admin/customers/c2/adjust", form, page="/admin/customers/c2")
    assert response.status_code == 400 and entries(shop) == 0


def test_a_csv_file_with_a_nul_is_refused_whole_by_its_line(app, client, shop):
    text = "customer_id,email,points_balance\nc3,three@example.com,10\nc4,fo\u0000ur@example.com,20\n"
    response = client.post("/api/v1/imports", data=text.encode(), headers=admin_headers(app, shop))
    utf16 = client.post("/api/v1/imports", data=text.replace("\u0000", "").encode("utf-16-le"),
                        headers=admin_headers(app, shop))
    assert response.status_code == 422 and "(line 3)" in response.get_json()["message"]
    assert utf16.status_code == 422 and "(line 1)" in utf16.get_json()["message"]
    with session():
        assert Customer.select().where(Customer.shop == shop.id).count() == 0
