"""Widget offers: each kind when it applies and not otherwise, ranking, languages, events."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from plugin import customers
from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Customer, OfferEvent
from plugin.program import document, versions
from plugin.program.document import DEFAULT
from plugin.spend import copurchase, offers
from tests.helpers import SHOP_DOMAIN, fixture_json, shopper_headers
from widgets import identity

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
BOB, ALICE = "207119551", "207119552"
NOW = datetime(2026, 11, 1, 12, 0)
IPODS = {"ipods": {"sku_prefixes": ["IPOD"]}, "apple": {"vendors": ["Apple"]}}
TEMPLATE = {"category": "apple", "title": {"en": "10% off Apple", "ru": "Скидка 10% на Apple"},
            "text": {"en": "Just for you this week.", "ru": "Только для вас на этой неделе."}}
CART = {"lines": [{"product_id": "900", "sku": "CASE-1", "price": "100.00"}]}


@pytest.fixture(autouse=True)
def frozen():
    clock.set_source(lambda: NOW.replace(tzinfo=UTC))


def program(shop, offers_section=None, **changes) -> None:
    doc = {**copy.deepcopy(DEFAULT), "categories": IPODS, **changes}
    if offers_section is not None:
        doc["offers"] = offers_section
    with session():
        versions.save(shop.id, doc, author="test")


def order(order_id: int, products: list[int], customer: str = BOB, vendor: str | None = None) -> dict:
    """The fixture order (199.00 less 3.34 a line, 5%: 9, 19, 29 points) with these products."""
    body = copy.deepcopy(ORDER)
    body["id"], body["customer"]["id"] = order_id, int(customer)
    line = body["line_items"][0]
    body["line_items"] = [{**copy.deepcopy(line), "id": order_id * 10 + n, "product_id": product,
                           "vendor": vendor} for n, product in enumerate(products)]
    return body


def headers(app, shop, customer: str | None = BOB) -> dict:
    return shopper_headers(app, shop, customer)


def offers_of(app, client, shop, *, customer: str | None = BOB, cart=None, lang=None) -> list[dict]:
    if cart is None:
        response = client.get("/widget/v1/offers", query_string={"lang": lang} if lang else {},
                              headers=headers(app, shop, customer))
    else:
        response = client.post("/widget/v1/offers", json={"cart": cart, "lang": lang},
                               headers=headers(app, shop, customer))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["offers"]


def by_kind(found: list[dict]) -> dict[str, dict]:
    return {offer["kind"]: offer for offer in found}


# --- formatting ---------------------------------------------------------------------------------


# --- the program's offers section ---------------------------------------------------------------


# --- each kind ----------------------------------------------------------------------------------

def test_anonymous_visitor_gets_only_the_generic_free_shipping_offer(app, client, shop, paid):
    program(shop, {"free_shipping_threshold": "150", "category_templates": [TEMPLATE]})
    paid(order(1, [11], vendor="Apple"), order(2, [12], vendor="Apple"))
    with session():
        Customer.update(birthday=date(1990, 11, 20)).execute()
    found = offers_of(app, client, shop, customer=None)
    assert [(o["id"], o["title"], o["text"]) for o in found] == [
        ("free_shipping", "Free shipping from $150", "Orders from $150 ship for free.")]
    assert offers_of(app, client, shop, customer=None, cart=CART)[0]["title"] == \
        "Add $50 more for free shipping"


def test_no_threshold_means_no_free_shipping_offer(app, client, shop):
    assert offers_of(app, client, shop, customer=None) == []
    assert offers_of(app, client, shop, customer=None, cart=CART) == []


def test_a_cart_at_the_threshold_gets_no_free_shipping_offer(app, client, shop):
    program(shop, {"free_shipping_threshold": "100"})
    assert offers_of(app, client, shop, cart=CART) == []


def test_points_cover_part_of_the_cart_only_when_a_cart_is_given(app, client, shop, paid):
    paid(order(1, [11, 12, 13]))
    cover = by_kind(offers_of(app, client, shop, cart=CART))["cart_cover"]
    assert (cover["id"], cover["title"], cover["text"]) == (
        "cart_cover", "Your points cover $29 of this cart", "Spend 29 points at checkout.")
    assert cover["data"] == {"points": 29, "amount": "29.00", "currency": "USD", "share": "0.29"}
    assert "cart_cover" not in by_kind(offers_of(app, client, shop))


def test_no_spend_points_offer_while_the_shopper_holds_a_discount(app, client, shop, paid):
    paid(order(1, [11, 12, 13]))
    redeemed = client.post("/widget/v1/redeem", json={"points": 10, "cart": CART},
                           headers={**headers(app, shop), "Idempotency-Key": "offer-hold-0001"})
    assert redeemed.status_code == 201
    assert "cart_cover" not in by_kind(offers_of(app, client, shop, cart=CART))


def test_the_spend_points_offer_returns_once_the_hold_is_released(app, client, shop, paid):
    paid(order(1, [11, 12, 13]))
    hold = client.post("/widget/v1/redeem", json={"points": 10, "cart": CART},
                       headers={**headers(app, shop), "Idempotency-Key": "offer-hold-0002"}).get_json()
    client.post(f"/widget/v1/redemptions/{hold['redemption']['id']}/cancel", headers=headers(app, shop))
    assert "cart_cover" in by_kind(offers_of(app, client, shop, cart=CART))


def test_a_cart_in_another_currency_is_not_compared_with_the_shops_amounts(app, client, shop, paid):
    program(shop, {"free_shipping_threshold": "150"})
    paid(order(1, [11, 12, 13]))
    found = by_kind(offers_of(app, client, shop, cart={**CART, "currency": "EUR"}))
    assert "cart_cover" not in found
    assert found["free_shipping"]["data"] == {"threshold": "150", "currency": "USD", "missing": None}


def test_a_shopper_without_points_or_history_gets_no_personal_offer(app, client, shop, paid):
    program(shop, {"free_shipping_threshold": "150"})
    paid(order(1, [11, 12, 13]))
    assert [o["kind"] for o in offers_of(app, client, shop, customer="never-seen", cart=CART)] == \
        ["free_shipping"]


@pytest.mark.parametrize(("expiry_days", "shown"), [(2, True), (30, False)])
def test_points_expiring_within_the_warning_window_are_an_offer(app, client, shop, paid, expiry_days, shown):
    program(shop, point_types={"regular": {"expiry": {"kind": "days", "days": expiry_days}}},
            expiry_warning_days=14)
    paid(order(1, [11, 12, 13]))
    found = by_kind(offers_of(app, client, shop))
    assert ("expiring" in found) is shown
    if shown:
        assert found["expiring"]["id"] == "expiring:2026-11-03"
        assert found["expiring"]["title"] == "29 points expire on November 3"
        assert found["expiring"]["data"] == {"points": 29, "expires_at": "2026-11-03T12:00:00+00:00",
                                             "days_left": 2}
        ru = by_kind(offers_of(app, client, shop, lang="ru"))["expiring"]
        assert (ru["title"], ru["text"]) == ("3 ноября сгорят 29\u00a0баллов", "Успейте их потратить.")


@pytest.mark.parametrize(("orders_with_category", "shown"), [(2, True), (1, False)])
def test_a_category_bought_often_brings_the_stores_template(app, client, shop, paid, orders_with_category,
                                                            shown):
    program(shop, {"category_templates": [TEMPLATE]})
    paid(*[order(n, [10 + n], vendor="Apple" if n <= orders_with_category else None)
           for n in range(1, 4)])
    found = by_kind(offers_of(app, client, shop))
    assert ("category" in found) is shown
    if shown:
        assert found["category"]["id"] == "category:apple"
        assert (found["category"]["title"], found["category"]["data"]) == (
            "10% off Apple", {"category": "apple", "orders": 2})
        ru = by_kind(offers_of(app, client, shop, lang="ru"))["category"]
        assert (ru["title"], ru["text"]) == ("Скидка 10% на Apple", "Только для вас на этой неделе.")


def test_a_category_without_a_template_is_no_offer(app, client, shop, paid):
    program(shop, {"category_templates": [TEMPLATE]})
    paid(order(1, [11]), order(2, [12]))  # ipods (by SKU), not apple
    assert "category" not in by_kind(offers_of(app, client, shop))


@pytest.mark.parametrize(("birthday", "enabled", "shown"), [
    (date(1990, 11, 20), True, True), (date(1990, 12, 1), True, False), (date(1990, 11, 20), False, False),
])
def test_birthday_month_offer(app, client, shop, paid, birthday, enabled, shown):
    program(shop, {"birthday_month": enabled}, birthday={"points": 50})
    paid(order(1, [11]))
    with session():
        Customer.update(birthday=birthday).where(Customer.platform_id == BOB).execute()
    found = by_kind(offers_of(app, client, shop))
    assert ("birthday" in found) is shown
    if shown:
        assert (found["birthday"]["id"], found["birthday"]["text"]) == (
            "birthday:2026", "Your birthday gift: 50 points.")
        assert by_kind(offers_of(app, client, shop, lang="ru"))["birthday"]["text"] == \
            "Ваш подарок — 50\u00a0баллов."


def test_progress_to_the_nearest_reward_not_yet_affordable(app, shop, paid):
    paid(order(1, [11, 12, 13]))  # 29 points
    loaded = document.load(DEFAULT)
    loaded["rewards"] = [
        {"id": "small", "kind": "fixed_amount", "points": 20, "point_type": "regular", "title": {}},
        {"id": "five-off", "kind": "fixed_amount", "points": 100, "point_type": "regular",
         "title": {"en": "$5 off", "ru": "Скидка 5 $"}},
        {"id": "big", "kind": "fixed_amount", "points": 500, "point_type": "regular", "title": {}},
    ]
    with session():
        bob = customers.find(shop.id, BOB)
        en = by_kind(offers.build(shop, bob, loaded))["reward_progress"]
        ru = by_kind(offers.build(shop, bob, loaded, lang="ru"))["reward_progress"]
        loaded["rewards"] = loaded["rewards"][:1]
        assert "reward_progress" not in by_kind(offers.build(shop, bob, loaded))
        del loaded["rewards"]
        assert offers.build(shop, bob, loaded) == []
    assert (en["id"], en["title"], en["text"], en["priority"]) == (
        "reward_progress:five-off", "71 points more to $5 off", "You have 29 points of 100 points.", 42)
    assert en["data"] == {"reward_id": "five-off", "points": 29, "cost": 100, "missing": 71}
    assert ru["title"] == "Ещё 71\u00a0балл до награды «Скидка 5 $»"


@pytest.fixture
def bought_together(shop, paid):
    """Bob bought 11 and 12; others bought 11+33 twice, 12+44 once and 11+12 once."""
    paid(order(1, [11, 12]), order(2, [11, 33], ALICE), order(3, [11, 33], ALICE),
         order(4, [12, 44], ALICE), order(5, [11, 12], ALICE))
    copurchase.update_copurchases(shop.id)


def test_recommendations_are_products_bought_with_the_shoppers_own_excluding_theirs(
        app, client, shop, bought_together):
    found = [o for o in offers_of(app, client, shop) if o["kind"] == "recommendation"]
    assert [(o["id"], o["data"], o["priority"]) for o in found] == [
        ("recommendation:33", {"product_id": "33", "score": 2}, 20),
        ("recommendation:44", {"product_id": "44", "score": 1}, 15)]
    assert found[0]["title"] == "Often bought together"


def test_recommendations_leave_out_the_cart_and_follow_the_programs_count(app, client, shop,
                                                                          bought_together):
    cart = {"lines": [{"product_id": "33", "price": "10"}]}
    assert [o["id"] for o in offers_of(app, client, shop, cart=cart) if o["kind"] == "recommendation"] \
        == ["recommendation:44"]
    program(shop, {"recommendations": 1})
    assert [o["id"] for o in offers_of(app, client, shop) if o["kind"] == "recommendation"] == \
        ["recommendation:33"]
    program(shop, {"recommendations": 0})
    assert not [o for o in offers_of(app, client, shop) if o["kind"] == "recommendation"]


def test_offers_are_ranked_by_urgency_value_and_frequency(app, client, shop, paid):
    program(shop, {"free_shipping_threshold": "250", "category_templates": [TEMPLATE]},
            point_types={"regular": {"expiry": {"kind": "days", "days": 2}}}, expiry_warning_days=14)
    paid(order(1, [11], vendor="Apple"), order(2, [11, 12], vendor="Apple"), order(3, [13]),
         order(4, [12, 14], ALICE))
    copurchase.update_copurchases(shop.id)
    with session():
        Customer.update(birthday=date(1990, 11, 2)).where(Customer.platform_id == BOB).execute()
    found = offers_of(app, client, shop, cart=CART)
    assert [(o["kind"], o["priority"]) for o in found] == [
        ("expiring", 94), ("cart_cover", 65), ("birthday", 45), ("free_shipping", 42), ("category", 40),
        ("recommendation", 20)]


# --- events -------------------------------------------------------------------------------------

def events() -> list[tuple]:
    with session():
        return [(e.offer_id, e.kind, e.customer.platform_id if e.customer else None)
                for e in OfferEvent.select().order_by(OfferEvent.id)]


@pytest.mark.parametrize("kind", ["impression", "click", "redemption"])
def test_an_offer_event_is_recorded_for_the_signed_in_shopper(app, client, shop, paid, kind):
    paid(order(1, [11]))
    response = client.post("/widget/v1/offers/recommendation:33/events", json={"type": kind},
                           headers=headers(app, shop))
    assert response.status_code == 204 and response.data == b""
    assert events() == [("recommendation:33", kind, BOB)]


def test_an_anonymous_visitors_event_has_no_customer(app, client, shop):
    response = client.post("/widget/v1/offers/free_shipping/events", json={"type": "impression"},
                           headers=headers(app, shop, None))
    assert response.status_code == 204
    assert events() == [("free_shipping", "impression", None)]


def test_impressions_of_several_offers_are_one_request(app, client, shop, paid):
    paid(order(1, [11]))
    response = client.post("/widget/v1/offers/events", headers=headers(app, shop),
                           json={"type": "impression",
                                 "offer_ids": ["free_shipping", "expiring:2026-11-03", "free_shipping"]})
    assert response.status_code == 204
    assert events() == [("free_shipping", "impression", BOB), ("expiring:2026-11-03", "impression", BOB)]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/widget/v1/offers/free_shipping/events", {"type": "purchase"}, "type"),
    ("/widget/v1/offers/free_shipping/events", {}, "type"),
    ("/widget/v1/offers/free_shipping/events", {"type": "click", "extra": 1}, "extra"),
    ("/widget/v1/offers/not%20an%20id/events", {"type": "click"}, "offer_id"),
    ("/widget/v1/offers/events", {"type": "click", "offer_ids": ["ok", "<script>"]}, "offer_ids.1"),
    ("/widget/v1/offers/events", {"type": "click", "offer_ids": []}, "offer_ids"),
])
def test_a_bad_event_is_422_and_nothing_is_stored(app, client, shop, path, body, field):
    response = client.post(path, json=body, headers=headers(app, shop))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert events() == []


def test_a_forged_token_is_401_for_offers_and_events(app, client, shop):
    token = identity.issue_token(app.extensions["loyalty"].vault, shop, BOB, ttl=3600)
    forged = {"X-Loyalty-Shop": SHOP_DOMAIN, "Authorization": f"Bearer {token[:-2]}xx"}
    assert client.get("/widget/v1/offers", headers=forged).status_code == 401
    assert client.post("/widget/v1/offers", json={"cart": CART}, headers=forged).status_code == 401
    response = client.post("/widget/v1/offers/free_shipping/events", json={"type": "click"}, headers=forged)
    assert response.status_code == 401
    assert events() == []


def test_a_bad_cart_is_422(app, client, shop):
    response = client.post("/widget/v1/offers", json={"cart": {"lines": [{"price": "-1"}]}},
                           headers=headers(app, shop))
    assert response.status_code == 422
    assert "cart.lines.0.price" in response.get_json()["fields"]


def test_the_answer_says_its_language(app, client, shop):
    program(shop, {"free_shipping_threshold": "150"})
    response = client.get("/widget/v1/offers?lang=ru-RU", headers=headers(app, shop, None))
    assert response.get_json() == {"lang": "ru", "offers": [{
        "id": "free_shipping", "kind": "free_shipping", "title": "Бесплатная доставка от 150\u00a0$",
        "text": "Заказы от 150\u00a0$ доставим бесплатно.", "priority": 25,
        "data": {"threshold": "150", "currency": "USD", "missing": None}}]}
