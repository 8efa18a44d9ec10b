"""Shopify's privacy webhooks, with their documented payloads: export, redaction, shop wipe."""

from __future__ import annotations

import json

import pytest

from plugin import customers, ledger
from plugin.core.db import session
from plugin.core.models import ALL_MODELS, Customer, Event, LeaderboardEntry, PrivacyRequest, Shop
from plugin.core.status import EventStatus, PrivacyStatus
from plugin.customers import shops
from plugin.dataio import order_history
from plugin.earn import referrals
from plugin.ledger import audit
from tests.helpers import SHOP_DOMAIN, admin_headers, fixture_json

ORDER = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"
SIGNUP = "shopify/rest2025-07_customer_created__POST_customers.json"
REFUND = "shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"
DATA_REQUEST = fixture_json("shopify/compliance_customers_data_request.json")
REDACT = fixture_json("shopify/compliance_customers_redact.json")
SHOP_REDACT = fixture_json("shopify/compliance_shop_redact.json")
JOHN, EMAIL = str(REDACT["customer"]["id"]), REDACT["customer"]["email"]
#: What the fixtures say about the shopper besides the email: names, phone, street.
PERSONAL = (EMAIL, "Norman", "459-2181", "Chestnut Street")
OTHER_DOMAIN = "other.myshopify.com"
#: Every table whose rows belong to a shop (all but the shops themselves and the scheduler's runs).
SHOPS_ROWS = [model for model in ALL_MODELS if "shop" in model._meta.fields]


def as_john(name: str, **changes) -> dict:
    """A Shopify fixture rewritten to be John's (the compliance payloads' customer)."""
    text = (json.dumps(fixture_json(name)).replace("bob.norman@mail.example.com", EMAIL)
            .replace("steve.lastnameson@example.com", EMAIL).replace("Lastnameson", "Norman"))
    body = json.loads(text.replace("207119551", JOHN).replace("1073339458", JOHN))
    return {**body, **changes}


def stranger_order(order_id: int) -> dict:
    """Another shopper's order: nothing in it is John's."""
    text = json.dumps(fixture_json(ORDER)).replace("bob.norman@mail.example.com", "ann@example.org")
    for old, new in (("Norman", "Lee"), ("459-2181", "555-0100"), ("Chestnut Street", "Elm Road"),
                     ("207119551", "555")):
        text = text.replace(old, new)
    return {**json.loads(text), "id": order_id}


@pytest.fixture
def john(app, shop, post_webhook, drain):
    """John signs up, buys twice (one of them refunded), has a birthday, a referral code and a
    leaderboard name; another shopper buys too."""
    post_webhook("customers/create", as_john(SIGNUP))
    for order_id in REDACT["orders_to_redact"][:2]:
        post_webhook("orders/paid", as_john(ORDER, id=order_id))
    post_webhook("refunds/create", {**fixture_json(REFUND), "order_id": REDACT["orders_to_redact"][0]})
    post_webhook("orders/paid", stranger_order(777))
    drain()
    with session():
        customer = customers.find(shop.id, JOHN)
        Customer.update(birthday="1990-05-17").where(Customer.id == customer.id).execute()
        referrals.code_for(customer)
        LeaderboardEntry.create(shop=shop.id, customer=customer.id, display_name="Johnny N")
        return customers.find(shop.id, JOHN)


def everything(shop_id: int) -> str:
    """Every row the shop has, in every table, as one text to search."""
    with session():
        return json.dumps([list(model.select().where(
            (model.id == shop_id) if model is Shop else (model.shop == shop_id)).dicts())
            for model in [Shop, *SHOPS_ROWS]], default=str).lower()


def request_rows(shop_id: int) -> list[PrivacyRequest]:
    with session():
        return list(PrivacyRequest.select().where(PrivacyRequest.shop == shop_id).order_by(PrivacyRequest.id))


def test_data_request_exports_everything_the_plugin_holds(app, client, shop, john, post_webhook, drain):
    assert post_webhook("customers/data_request", DATA_REQUEST).get_json()["status"] == "accepted"
    drain()
    listed = client.get("/api/v1/privacy-requests", headers=admin_headers(app, shop)).get_json()
    [item] = listed["items"]
    assert (item["topic"], item["status"], item["customer_id"], item["email"]) == (
        "customers/data_request", "completed", JOHN, EMAIL)
    assert "export" not in item
    detail = client.get(f"/api/v1/privacy-requests/{item['id']}", headers=admin_headers(app, shop))
    export = detail.get_json()["export"]
    with session():
        balances = ledger.balances(john)
        entries = len(ledger.entries(john, limit=1000))
    assert export["found"] is True
    assert export["customer"]["email"] == EMAIL and export["customer"]["birthday"] == "1990-05-17"
    assert export["balances"] == balances and sum(balances.values()) > 0
    records = export["records"]
    assert len(records["ledger_entry"]) == entries
    assert {o["platform_id"] for o in records["orders"]} == {str(o) for o in REDACT["orders_to_redact"][:2]}
    assert all(o["earned"] > 0 for o in records["orders"])
    assert records["leaderboard_entry"][0]["display_name"] == "Johnny N"
    assert len(records["referral_code"]) == 1 and records["lot"]
    assert export["request"]["data_request_id"] == "9999"
    assert item["log"]["ledger_entry"] == entries


def test_data_request_for_a_customer_the_plugin_never_saw_says_so(app, client, shop, post_webhook, drain):
    post_webhook("customers/data_request", DATA_REQUEST)
    drain()
    [row] = request_rows(shop.id)
    assert row.status == PrivacyStatus.COMPLETED
    assert row.export["found"] is False and "no account" in row.export["note"]
    assert row.export["records"] == {}


def test_data_request_sent_again_is_recorded_once(app, shop, post_webhook, drain):
    assert post_webhook("customers/data_request", DATA_REQUEST).get_json()["status"] == "accepted"
    assert post_webhook("customers/data_request", DATA_REQUEST).get_json()["status"] == "duplicate"
    drain()
    assert len(request_rows(shop.id)) == 1


def test_redact_removes_personal_data_everywhere_and_keeps_the_points(app, shop, john, post_webhook, drain):
    post_webhook("customers/data_request", DATA_REQUEST)  # its export holds PII until the redaction
    drain()
    with session():
        before = ledger.balances(john)
    assert all(text.lower() in everything(shop.id) for text in PERSONAL)
    assert post_webhook("customers/redact", REDACT).get_json()["status"] == "accepted"
    drain()
    text = everything(shop.id)
    assert [t for t in PERSONAL if t.lower() in text] == []
    assert "johnny n" not in text and "1990-05-17" not in text
    with session():
        redacted = Customer.get_by_id(john.id)
        assert ledger.balances(redacted) == before
        assert audit.check(shop.id) == []
        assert customers.find(shop.id, JOHN) is None
    assert redacted.platform_id.startswith("redacted:") and redacted.redacted_at is not None
    assert "ann@example.org" in text  # the other shopper keeps everything
    with session():  # nothing but the request's own log names John's platform id any more
        linked = [m._meta.table_name for m in [Shop, *SHOPS_ROWS] if m is not PrivacyRequest and JOHN in
                  json.dumps(list(m.select().where((m.id if m is Shop else m.shop) == shop.id).dicts()),
                             default=str)]
    assert linked == []
    data_request, redact = request_rows(shop.id)
    assert data_request.export is None and data_request.email is None
    assert (redact.topic, redact.status, redact.email) == ("customers/redact", "completed", None)
    assert redact.log["customer"] == 1 and redact.log["orders"] == 2 and redact.log["events"] >= 5


def test_redact_names_orders_of_a_guest_checkout(app, shop, post_webhook, drain):
    guest = {**as_john(ORDER, id=REDACT["orders_to_redact"][2]), "customer": None}
    post_webhook("orders/paid", guest)
    post_webhook("customers/redact", {**REDACT, "customer": {"id": 424242}})
    drain()
    assert [t for t in PERSONAL if t.lower() in everything(shop.id)] == []
    [row] = request_rows(shop.id)
    assert row.log["orders"] == 1 and "customer" not in row.log


def test_redact_sent_again_changes_no_data(app, shop, john, post_webhook, drain):
    post_webhook("customers/redact", REDACT, delivery="r-1")
    drain()

    def data() -> str:
        with session():
            return json.dumps([list(m.select().where(m.shop == shop.id).dicts()) for m in SHOPS_ROWS
                               if m not in (Event, PrivacyRequest)], default=str)

    first = data()
    assert post_webhook("customers/redact", REDACT, delivery="r-1").get_json()["status"] == "duplicate"
    assert post_webhook("customers/redact", REDACT, delivery="r-2").get_json()["status"] == "accepted"
    drain()
    assert data() == first
    again = request_rows(shop.id)[-1]
    assert {k: v for k, v in again.log.items() if v} == {"events": 1}  # only its own body's PII
    assert EMAIL not in everything(shop.id)


def test_same_platform_id_after_redaction_starts_fresh(app, shop, john, post_webhook, drain):
    post_webhook("customers/redact", REDACT)
    drain()
    assert post_webhook("customers/create", as_john(SIGNUP)).get_json()["status"] == "accepted"
    drain()
    with session():
        fresh = customers.find(shop.id, JOHN)
        assert fresh.id != john.id
        assert ledger.balances(fresh) == {"regular": 100}  # the sign-up bonus again
        assert sum(ledger.balances(Customer.get_by_id(john.id)).values()) > 0


def test_redact_of_an_uninstalled_shop_is_still_applied(app, shop, john, post_webhook, drain):
    post_webhook("app/uninstalled", {"id": 1})
    drain()
    assert post_webhook("customers/redact", REDACT).get_json()["status"] == "accepted"
    drain()
    assert EMAIL not in everything(shop.id)


def test_shop_redact_removes_every_row_of_the_shop_and_no_other(app, shop, john, post_webhook, drain):
    with session():
        other, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    post_webhook("customers/create", as_john(SIGNUP), domain=OTHER_DOMAIN)
    post_webhook("orders/paid", as_john(ORDER, id=1), domain=OTHER_DOMAIN)
    post_webhook("customers/data_request", DATA_REQUEST)
    post_webhook("app/uninstalled", {"id": 1})
    drain()
    theirs = everything(other.id)
    assert post_webhook("shop/redact", SHOP_REDACT).get_json()["status"] == "accepted"
    drain()
    with session():
        left = {m._meta.table_name: m.select().where(m.shop == shop.id).count() for m in SHOPS_ROWS}
        tombstone = Shop.get_by_id(shop.id)
    assert {table: n for table, n in left.items() if n} == {"event": 1, "privacy_request": 1}
    [row] = request_rows(shop.id)
    assert (row.topic, row.status) == ("shop/redact", "completed")
    assert row.log["ledger_entry"] > 0 and row.log["customer"] == 2  # John and the other shopper
    assert (tombstone.domain, tombstone.active, tombstone.access_token) == (SHOP_DOMAIN, False, None)
    assert tombstone.key_version == shop.key_version + 1
    assert everything(other.id) == theirs
    assert EMAIL in theirs


def test_shop_redact_sent_again_removes_nothing_more(app, shop, john, post_webhook, drain):
    post_webhook("app/uninstalled", {"id": 1})
    post_webhook("shop/redact", SHOP_REDACT, delivery="s-1")
    drain()
    assert post_webhook("shop/redact", SHOP_REDACT, delivery="s-1").get_json()["status"] == "duplicate"
    post_webhook("shop/redact", SHOP_REDACT, delivery="s-2")
    drain()
    first, again = request_rows(shop.id)
    assert first.log["customer"] == 2
    assert again.status == PrivacyStatus.COMPLETED and not any(again.log.values())


def test_shop_redact_for_a_reinstalled_shop_is_skipped_with_the_reason(app, shop, john, post_webhook, drain):
    post_webhook("shop/redact", SHOP_REDACT)
    drain()
    [row] = request_rows(shop.id)
    assert row.status == PrivacyStatus.SKIPPED and "installed" in row.log["reason"]
    assert EMAIL in everything(shop.id)


def test_redact_without_a_customer_id_is_stored_invalid_naming_it(app, shop, post_webhook, drain):
    response = post_webhook("customers/redact", {**REDACT, "customer": {"email": EMAIL}})
    drain()
    assert response.status_code == 200
    with session():
        (event,) = Event.select()
    assert event.status == EventStatus.INVALID and event.error.startswith("customer.id:")
    assert request_rows(shop.id) == []


def test_privacy_requests_are_read_only_by_their_own_shop(app, client, shop, post_webhook, drain):
    post_webhook("customers/data_request", DATA_REQUEST)
    drain()
    with session():
        other, _ = shops.register("shopify", OTHER_DOMAIN, own_webhook_secret=False)
    [row] = request_rows(shop.id)
    mine = client.get(f"/api/v1/privacy-requests/{row.id}", headers=admin_headers(app, shop))
    theirs = client.get(f"/api/v1/privacy-requests/{row.id}", headers=admin_headers(app, other))
    listed = client.get("/api/v1/privacy-requests", headers=admin_headers(app, other)).get_json()
    assert mine.status_code == 200 and theirs.status_code == 404 and listed["items"] == []
    assert client.get(f"/api/v1/privacy-requests/{row.id}").status_code == 401


@pytest.mark.parametrize("query", ["topic=orders/paid", "limit=0", "before=x", "colour=red"])
def test_privacy_request_list_rejects_bad_arguments_with_422(app, client, shop, query):
    response = client.get(f"/api/v1/privacy-requests?{query}", headers=admin_headers(app, shop))
    assert response.status_code == 422


def test_privacy_request_list_pages_newest_first(app, client, shop, post_webhook, drain):
    for n in range(3):
        post_webhook("customers/data_request", {**DATA_REQUEST, "data_request": {"id": n + 1}})
    drain()
    headers = admin_headers(app, shop)
    first = client.get("/api/v1/privacy-requests?limit=2", headers=headers).get_json()
    rest = client.get(f"/api/v1/privacy-requests?limit=2&before={first['next_before']}",
                      headers=headers).get_json()
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3 and rest["next_before"] is None


def test_export_holds_and_redact_clears_the_phone_language_zone_and_consent(app, shop, post_webhook, drain):
    signup = as_john(SIGNUP, locale="ru-RU")
    signup["email_marketing_consent"].update(state="subscribed", consent_updated_at="2026-01-01T00:00:00Z")
    post_webhook("customers/create", signup)
    drain()
    with session():
        customer = customers.find(shop.id, JOHN)
    assert (customer.phone, customer.locale, customer.marketing_consent_source) == (
        "15142546011", "ru", "shopify:email")

    post_webhook("customers/data_request", DATA_REQUEST)
    drain()
    with session():
        exported = request_rows(shop.id)[0].export["customer"]
    assert (exported["phone"], exported["marketing_consent_source"]) == ("15142546011", "shopify:email")

    post_webhook("customers/redact", REDACT)
    drain()
    with session():
        redacted = Customer.get_by_id(customer.id)
    assert (redacted.phone, redacted.locale, redacted.time_zone, redacted.marketing_consent_at,
            redacted.marketing_consent_source) == (None, None, None, None, None)


def test_imported_order_history_is_exported_and_redacted_by_id_or_email(app, shop, john, post_webhook,
                                                                       drain):
    text = ("order_id,customer_id,placed_at,amount\n"
            f"h1,{JOHN},2025-01-05,100\nh2,{EMAIL.upper()},2025-01-06,50\nh3,ann@example.org,2025-01-07,70\n")
    with session():
        order_history.import_csv(shop.id, text)
    post_webhook("customers/data_request", DATA_REQUEST)
    drain()
    exported = request_rows(shop.id)[0].export["records"]["past_order_line"]
    assert sorted(row["order_id"] for row in exported) == ["h1", "h2"]
    post_webhook("customers/redact", REDACT)
    drain()
    with session():
        names = {line.order_id: line.customer_id for line in order_history.stored_lines(shop.id)}
    assert names["h1"] == names["h2"] and names["h1"].startswith("redacted:")
    assert names["h3"] == "ann@example.org" and request_rows(shop.id)[-1].log["past_order_lines"] == 2
