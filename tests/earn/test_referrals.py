"""Referrals: attribution on the server across devices, fraud checks, approval, the pending window."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Customer, LedgerEntry, Referral
from plugin.core.status import ReferralStatus
from plugin.earn import referrals
from plugin.program import versions
from plugin.program.document import DEFAULT
from tests.helpers import SHOP_DOMAIN, fixture_json
from webhooks.shopify import payloads as shopify_payloads
from widgets import identity

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
CANCELLED = fixture_json("shopify/rest2025-07_order_cancelled__POST_orders_450789469_cancel.json")
NOW = datetime(2026, 11, 1, 12, 0)
ALICE, FRIEND = "1001", "2002"
RULE = {"referrer_points": 500, "friend_points": 200, "friend_reward_on": "first_order",
        "point_type": "regular", "pending_days": 14, "max_per_week": 10}
#: Alice's own details, from her earlier order; a friend's order differs in all of them.
ALICE_DETAILS = {"email": "alice@gmail.com", "phone": "502.459.2181", "browser_ip": "203.0.113.7",
                 "address1": "Chestnut Street 92", "zip": "40202"}
FRIEND_DETAILS = {"email": "fred@example.org", "phone": "+44 20 7946 0958", "browser_ip": "198.51.100.9",
                  "address1": "Baker Street 221b", "zip": "NW1 6XE"}


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def set_program(shop, **changes) -> None:
    doc = copy.deepcopy(DEFAULT)
    doc["referrals"] = {**RULE, **changes}
    with session():
        versions.save(shop.id, doc, author="test")


def order(order_id: int, customer: str, details: dict, *, codes=(), landing: str | None = None) -> dict:
    body = copy.deepcopy(ORDER)
    body.update(id=order_id, email=details["email"], phone=details["phone"],
                browser_ip=details["browser_ip"], landing_site=landing, note_attributes=[],
                discount_codes=[{"code": code, "amount": "1.00", "type": "fixed_amount"} for code in codes])
    body["customer"] = {**body["customer"], "id": int(customer), "email": details["email"]}
    body["shipping_address"] = {**body["shipping_address"], "address1": details["address1"],
                                "zip": details["zip"], "phone": details["phone"]}
    return body


def widget(app, client, shop, customer: str | None, path: str = "/widget/v1/referral", **kwargs):
    headers = {"X-Loyalty-Shop": SHOP_DOMAIN}
    if customer:
        token = identity.issue_token(app.extensions["loyalty"].vault, shop, customer, ttl=3600)
        headers["Authorization"] = f"Bearer {token}"
    call = client.post if kwargs else client.get
    return call(path, headers=headers, **kwargs)


def referral_points(customer: str) -> dict[str, int]:
    """Referral ledger entries of a customer: {idempotency key: points}."""
    with session():
        return {e.idempotency_key: e.delta for e in LedgerEntry.select().join(Customer).where(
            (Customer.platform_id == customer) & LedgerEntry.idempotency_key.startswith("referral:"))}


def the_referral() -> Referral:
    with session():
        return Referral.select().order_by(Referral.id.desc()).get()


def reward_due_at(moment: datetime) -> int:
    at(moment)
    return referrals.reward_due()


@pytest.fixture
def alice(app, client, shop, post_webhook, drain):
    """Alice has ordered once (her email, phone, address and IP are known) and has her code."""
    at(NOW - timedelta(days=3))
    set_program(shop)
    assert post_webhook("orders/paid", order(1, ALICE, ALICE_DETAILS)).status_code == 200
    drain()
    at(NOW)
    return widget(app, client, shop, ALICE).get_json()["code"]


def friend_orders(post_webhook, drain, details=None, **kwargs) -> None:
    assert post_webhook("orders/paid", order(2, FRIEND, {**FRIEND_DETAILS, **(details or {})},
                                             **kwargs)).status_code == 200
    drain()


@pytest.mark.parametrize("via", ["landing_param", "order_discount_code"])
def test_a_friend_on_another_device_is_attributed_on_the_server_and_both_are_paid_after_the_window(
        alice, post_webhook, drain, via):
    # No cookie travels: the friend's order names the code (a landing ?ref= or the discount code).
    if via == "landing_param":
        friend_orders(post_webhook, drain, landing=f"/products/mug?utm_source=x&ref={alice}")
    else:
        friend_orders(post_webhook, drain, codes=[alice.lower()])
    ref = the_referral()
    assert (ref.status, ref.attributed_via, ref.reasons, ref.friend_order_id) == ("pending", via, [], "2")
    assert referral_points(FRIEND) == {f"referral:{ref.id}:friend": 200}
    assert reward_due_at(NOW + timedelta(days=13)) == 0
    assert referral_points(ALICE) == {}
    assert reward_due_at(NOW + timedelta(days=14, minutes=1)) == 1
    assert reward_due_at(NOW + timedelta(days=15)) == 0
    assert referral_points(ALICE) == {f"referral:{ref.id}:referrer": 500}
    assert the_referral().status == ReferralStatus.REWARDED


def test_a_code_in_the_sign_up_note_is_attributed_and_welcomed_at_sign_up(shop, alice, post_webhook, drain):
    set_program(shop, friend_reward_on="signup")
    customer = fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")
    customer.update(id=int(FRIEND), email="fred@example.org", phone=None, addresses=[],
                    note=f"Invited by Alice, ref: {alice}")
    post_webhook("customers/create", customer)
    drain()
    ref = the_referral()
    assert (ref.status, ref.attributed_via, ref.friend_order_id) == ("pending", "signup_code", None)
    assert referral_points(FRIEND) == {f"referral:{ref.id}:friend": 200}
    friend_orders(post_webhook, drain)  # the first order completes the referral, paid after the window
    assert the_referral().friend_order_id == "2"
    assert reward_due_at(NOW + timedelta(days=15)) == 1
    assert referral_points(ALICE) == {f"referral:{ref.id}:referrer": 500}


@pytest.mark.parametrize(("details", "reason"), [
    ({"email": "A.Lice+promo@googlemail.com"}, "same_email"),
    ({"phone": "+1 (502) 459-2181"}, "same_phone"),
    ({"address1": "  chestnut STREET 92 ", "zip": "40202"}, "same_address"),
    ({"browser_ip": "203.0.113.7"}, "same_ip"),
])
def test_a_friend_sharing_the_referrers_details_is_blocked_with_the_reason(
        alice, post_webhook, drain, details, reason):
    friend_orders(post_webhook, drain, details, codes=[alice])
    ref = the_referral()
    assert (ref.status, ref.reasons) == ("blocked", [reason])
    assert ref.risk_score >= 50
    assert referral_points(FRIEND) == {}
    assert reward_due_at(NOW + timedelta(days=30)) == 0
    assert referral_points(ALICE) == {}


def test_the_referrers_own_first_order_with_their_code_is_blocked(app, client, shop, post_webhook, drain):
    at(NOW)
    set_program(shop)
    code = widget(app, client, shop, FRIEND).get_json()["code"]
    friend_orders(post_webhook, drain, codes=[code])
    ref = the_referral()
    assert (ref.status, ref.reasons, ref.referrer_id) == ("blocked", ["own_order"], ref.friend_id)


def test_a_sign_up_with_ones_own_code_is_blocked_as_the_same_customer(alice, post_webhook, drain):
    customer = fixture_json("shopify/rest2025-07_customer_created__POST_customers.json")
    customer.update(id=int(ALICE), email="alice@gmail.com", note=alice)
    post_webhook("customers/create", customer)
    drain()
    assert (the_referral().status, the_referral().reasons) == ("blocked", ["same_customer"])


def test_more_referrals_than_the_weekly_limit_are_blocked(shop, alice, post_webhook, drain):
    set_program(shop, max_per_week=1)
    friend_orders(post_webhook, drain, landing=f"/?ref={alice}")
    second = order(3, "3003", {**FRIEND_DETAILS, "email": "g@example.org", "phone": "+1 212 555 0100",
                               "browser_ip": "192.0.2.1", "address1": "Elm 1"}, landing=f"/?ref={alice}")
    post_webhook("orders/paid", second)
    drain()
    with session():
        assert [(r.status, r.reasons) for r in Referral.select().order_by(Referral.id)] == [
            ("pending", []), ("blocked", ["too_many_this_week"])]


def test_the_owner_sees_a_blocked_referral_and_approving_pays_both_sides_once(
        app, client, shop, alice, post_webhook, drain):
    friend_orders(post_webhook, drain, {"address1": "Chestnut Street 92", "zip": "40202"}, codes=[alice])
    auth = {"Authorization": f"Bearer {app.extensions['loyalty'].vault.api_key(shop.id, shop.key_version)}"}
    listed = client.get("/api/v1/referrals?status=blocked", headers=auth).get_json()["items"]
    assert [(r["referrer"], r["friend"], r["reasons"]) for r in listed] == [(ALICE, FRIEND, ["same_address"])]
    at(NOW + timedelta(days=15))
    for _ in range(2):
        answer = client.post(f"/api/v1/referrals/{listed[0]['id']}/approve", headers=auth)
        assert answer.status_code == 200 and answer.get_json()["referral"]["status"] == "rewarded"
    assert referrals.reward_due() == 0
    assert referral_points(FRIEND) == {f"referral:{listed[0]['id']}:friend": 200}
    assert referral_points(ALICE) == {f"referral:{listed[0]['id']}:referrer": 500}
    assert client.get("/api/v1/referrals?status=blocked", headers=auth).get_json()["items"] == []
    assert client.post("/api/v1/referrals/999999/approve", headers=auth).status_code == 404


def test_a_cancelled_first_order_voids_the_referral_and_the_referrer_gets_nothing(
        alice, post_webhook, drain):
    friend_orders(post_webhook, drain, landing=f"/?ref={alice}")
    post_webhook("orders/cancelled", {**CANCELLED, "id": 2})
    drain()
    assert reward_due_at(NOW + timedelta(days=15)) == 0
    assert the_referral().status == ReferralStatus.VOID
    assert referral_points(ALICE) == {}


def test_the_widget_gives_one_code_a_link_and_share_texts_in_russian_and_english(app, client, shop, alice):
    data = widget(app, client, shop, ALICE).get_json()
    assert data["code"] == alice and data["link"] == f"https://{SHOP_DOMAIN}/?ref={alice}"
    assert data["link"] in data["share"]["en"] and "200 points" in data["share"]["en"]
    assert data["link"] in data["share"]["ru"] and "200 баллов" in data["share"]["ru"]
    assert widget(app, client, shop, None).status_code == 401


def test_a_shopper_claims_a_code_in_the_widget_before_ordering(app, client, shop, alice):
    answer = widget(app, client, shop, FRIEND, "/widget/v1/referral/claim", json={"code": alice})
    assert answer.status_code == 201 and answer.get_json() == {"status": "pending",
                                                               "attributed_via": "signup_code"}
    missing = widget(app, client, shop, "4004", "/widget/v1/referral/claim", json={"code": "NOPE2345"})
    assert missing.status_code == 404


def test_without_a_referral_program_codes_do_nothing(app, client, shop, post_webhook, drain):
    at(NOW)
    assert widget(app, client, shop, ALICE).get_json() == {"enabled": False}
    friend_orders(post_webhook, drain, landing="/?ref=ABCDEFGH")
    with session():
        assert Referral.select().count() == 0


def test_ip_and_address_fingerprints_are_keyed_with_the_apps_secret(app):
    ip, own_key = "203.0.113.7", app.extensions["loyalty"].vault.derive("fingerprint", 0).encode()
    mine = shopify_payloads.digest(ip)
    try:
        shopify_payloads.use_fingerprint_key(b"another app's secret")
        theirs = shopify_payloads.digest(ip)
    finally:
        shopify_payloads.use_fingerprint_key(own_key)
    assert mine == shopify_payloads.digest(ip) and mine != theirs
    assert mine not in (hashlib.sha256(ip.encode()).hexdigest()[:32],
                        hashlib.sha256(b"loyalty/fingerprint\0" + ip.encode()).hexdigest()[:32])
