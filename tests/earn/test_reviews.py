"""Review points from Judge.me and from the generic Standard Webhooks endpoint, signed for real."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from marshmallow import ValidationError
from standardwebhooks import Webhook

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, LedgerEntry, Lot
from plugin.core.status import EventStatus
from plugin.program import document, versions
from tests.helpers import SHOP_DOMAIN, admin_headers, fixture_json
from webhooks import topics
from webhooks.judgeme import receiver as judgeme
from webhooks.reviews.receiver import standard_secret

JUDGEME = "reviews/judgeme_review_created.json"
BOB = "207119551"
REVIEWS = {"points": 50, "point_type": "regular", "monthly_cap": None}


def configure(shop, reviews: dict | None = REVIEWS, policy: str = "clamp") -> None:
    with session():
        versions.save(shop.id, {**document.DEFAULT, "reviews": reviews, "reversal_policy": policy},
                      author="owner@example.com")


def secret_of(app, shop) -> str:
    return app.extensions["loyalty"].vault.webhook_secret(shop.id)


@pytest.fixture
def post_review(app, client, shop):
    """POST a generic review event signed the Standard Webhooks way with the shop's secret."""
    counter = count(1)

    def post(kind="review.published", review="r1", product="p1", customer=BOB, *, body=None,
             delivery=None, secret=None, at=None, domain=SHOP_DOMAIN, headers=None):
        if body is None:
            body = {"type": kind, "review_id": review, "customer_id": customer, "product_id": product}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        msg_id = delivery or f"msg_{next(counter)}"
        when = at or datetime.now(UTC)
        signer = Webhook(standard_secret(secret or secret_of(app, shop)))
        sent = {"Content-Type": "application/json", "webhook-id": msg_id,
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signer.sign(msg_id, when, raw.decode("utf-8", "replace")),
                **(headers or {})}
        return client.post(f"/webhooks/reviews/{domain}", data=raw, headers=sent)

    return post


@pytest.fixture
def post_judgeme(app, client, shop):
    def post(body, *, secret=None, signature=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json",
                judgeme.SIGNATURE_HEADER: signature if signature is not None
                else judgeme.sign(secret or secret_of(app, shop), raw)}
        return client.post("/webhooks/judgeme", data=raw, headers=sent)

    return post


def entries() -> list[tuple[str, int, str]]:
    with session():
        return [(e.kind, e.delta, e.idempotency_key)
                for e in LedgerEntry.select().order_by(LedgerEntry.id)]


def balance(platform_id: str = BOB) -> int:
    with session():
        customer = Customer.get(Customer.platform_id == platform_id)
        return sum(ledger.balances(customer).values())


def events() -> list[Event]:
    with session():
        return list(Event.select().order_by(Event.id))


def note(event: Event) -> dict:
    """The reason code an event's note is stored as."""
    return reasons.load(event.error)


# --- Standard Webhooks: the official vectors, with the library we verify with ---------------------


# --- Receivers and the ledger, on both backends -----------------------------------------------------

def test_generic_published_review_earns_the_program_points(post_review, shop, drain):
    configure(shop)
    response = post_review(delivery="msg_a")
    drain()
    assert response.status_code == 200 and response.get_json()["status"] == "accepted"
    assert entries() == [("review", 50, f"review:{BOB}:p1")]
    (event,) = events()
    assert (event.platform, event.topic, event.kind, event.status) == (
        "reviews", "review.published", "review.published", "applied")
    assert (event.delivery_id, event.business_key, event.error) == ("msg_a", "review.published:r1", None)
    assert event.payload == {"review_id": "r1", "customer": {"id": BOB}, "product_id": "p1", "rating": None}


def test_judgeme_published_review_earns_and_records_the_reviewer(post_judgeme, shop, drain):
    configure(shop)
    body = fixture_json(JUDGEME)
    assert post_judgeme(body).get_json()["status"] == "accepted"
    drain()
    assert entries() == [("review", 50, f"review:{BOB}:632910392")]
    (event,) = events()
    assert (event.platform, event.topic, event.kind) == ("judgeme", "review/created", "review.published")
    assert event.business_key == "review.published:512044871"
    with session():
        assert Customer.get().email == body["review"]["reviewer"]["email"]


def test_judgeme_review_hidden_later_is_taken_back(post_judgeme, shop, drain):
    configure(shop)
    body = fixture_json(JUDGEME)
    post_judgeme(body)
    hidden = {**body, "event": "review/updated", "review": {**body["review"], "hidden": True}}
    post_judgeme(hidden)
    drain()
    assert [e.kind for e in events()] == ["review.published", "review.unpublished"]
    assert entries() == [("review", 50, f"review:{BOB}:632910392"),
                         ("reverse", -50, f"review:{BOB}:632910392:unpublished")]
    assert balance() == 0


def test_judgeme_created_and_updated_both_published_is_one_event(post_judgeme, shop, drain):
    configure(shop)
    body = fixture_json(JUDGEME)
    post_judgeme(body)
    again = post_judgeme({**body, "event": "review/updated",
                          "review": {**body["review"], "title": "Still warm"}})
    drain()
    assert again.get_json()["status"] == "duplicate"
    assert len(events()) == 1 and balance() == 50


def test_publish_unpublish_publish_nets_one_grant(post_review, shop, drain):
    configure(shop)
    post_review("review.published")
    post_review("review.unpublished")
    post_review("review.published")
    drain()
    assert [(e.business_key, e.status) for e in events()] == [
        ("review.published:r1", "applied"), ("review.unpublished:r1:msg_2", "applied"),
        ("review.published:r1:1", "applied")]
    assert entries() == [("review", 50, f"review:{BOB}:p1"),
                         ("reverse", -50, f"review:{BOB}:p1:unpublished"),
                         ("review", 50, f"review:{BOB}:p1#2")]
    assert balance() == 50


def test_unpublish_after_points_were_spent_takes_what_is_left_and_republish_restores_once(
        post_review, shop, drain):
    configure(shop)
    post_review("review.published")
    drain()
    with session():
        lot = Lot.get()
        ledger.debit(lot, 30, kind=EntryKind.SPEND, key="spend-1", reason="redeemed")
    post_review("review.unpublished")
    drain()
    assert balance() == 0
    assert note(events()[-1]) == {"code": "event.not_taken_back", "points": "30", "policy": "clamp"}
    post_review("review.published")
    drain()
    assert entries()[-1] == ("review", 20, f"review:{BOB}:p1#2")
    assert balance() == 20  # 50 earned once, 30 of them spent


def test_negative_policy_leaves_a_debt_that_the_republished_review_pays_off(post_review, shop, drain):
    configure(shop, policy="negative")
    post_review("review.published")
    drain()
    with session():
        ledger.debit(Lot.get(), 50, kind=EntryKind.SPEND, key="spend-1", reason="redeemed")
    post_review("review.unpublished")
    drain()
    assert balance() == -50
    post_review("review.published")
    drain()
    assert balance() == 0  # earned once, spent once


def test_second_review_of_the_same_product_earns_nothing(post_review, shop, drain):
    configure(shop)
    post_review(review="r1")
    post_review(review="r2")
    drain()
    assert entries() == [("review", 50, f"review:{BOB}:p1")]
    assert note(events()[1]) == {"code": "event.review_repeated", "review": "r1", "product": "p1"}
    assert [e.status for e in events()] == ["applied", "applied"]


def test_unpublishing_the_review_that_did_not_earn_takes_nothing(post_review, shop, drain):
    configure(shop)
    post_review(review="r1")
    post_review(review="r2")
    post_review("review.unpublished", review="r2")
    drain()
    assert balance() == 50


def test_monthly_cap_counts_reviews_in_the_calendar_month(post_review, shop, drain):
    configure(shop, {**REVIEWS, "monthly_cap": 2})
    clock.set_source(lambda: datetime(2026, 1, 31, 23, 0, tzinfo=UTC))
    for product in ("p1", "p2", "p3"):
        post_review(review=f"r-{product}", product=product)
    drain()
    assert len(entries()) == 2
    assert note(events()[2]) == {"code": "event.review_cap", "cap": "2"}
    assert reasons.render(events()[2].error, "en") == "over the monthly cap of 2 reviews that earn: no points"
    clock.set_source(lambda: datetime(2026, 2, 1, 0, 30, tzinfo=UTC))
    post_review(review="r-p4", product="p4")
    drain()
    assert [key for _, _, key in entries()] == [f"review:{BOB}:p1", f"review:{BOB}:p2", f"review:{BOB}:p4"]


def test_republished_review_does_not_take_another_place_under_the_cap(post_review, shop, drain):
    configure(shop, {**REVIEWS, "monthly_cap": 1})
    post_review("review.published")
    post_review("review.unpublished")
    post_review("review.published")
    drain()
    assert balance() == 50 and all(e.error is None for e in events())


def test_program_without_reviews_section_earns_nothing_and_says_so(post_review, shop, drain):
    configure(shop, None)
    post_review()
    drain()
    (event,) = events()
    assert event.status == "applied" and note(event) == {"code": "event.no_review_points"}
    assert entries() == []


def test_same_delivery_twice_is_stored_and_applied_once(post_review, shop, drain):
    configure(shop)
    first = post_review(delivery="msg_same")
    second = post_review(delivery="msg_same")
    drain()
    assert (first.get_json()["status"], second.get_json()["status"]) == ("accepted", "duplicate")
    assert len(events()) == 1 and balance() == 50


def test_same_judgeme_body_twice_is_stored_once(post_judgeme, shop, drain):
    configure(shop)
    body = fixture_json(JUDGEME)
    post_judgeme(body)
    assert post_judgeme(body).get_json()["status"] == "duplicate"
    drain()
    assert len(events()) == 1 and balance() == 50


def test_unknown_shop_is_401_and_writes_nothing(post_review, post_judgeme, shop):
    assert post_review(domain="nobody.myshopify.com").status_code == 401
    body = {**fixture_json(JUDGEME), "shop_domain": "nobody.myshopify.com"}
    response = post_judgeme(body)
    assert response.status_code == 401 and "unknown shop" in response.get_json()["message"]
    assert events() == []


@pytest.mark.parametrize("headers", [
    {"webhook-signature": ""}, {"webhook-id": ""}, {"webhook-timestamp": ""},
    {"webhook-signature": "v1,AAAA"}, {"webhook-signature": "no-comma-at-all"},
    {"webhook-signature": "v1,not base64!"}, {"webhook-timestamp": "hello"},
])
def test_generic_bad_or_missing_signature_headers_are_401(post_review, shop, headers):
    response = post_review(headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert events() == []


@pytest.mark.parametrize("seconds", [-301, 301])
def test_generic_timestamp_outside_the_tolerance_is_401(post_review, shop, seconds):
    response = post_review(at=datetime.now(UTC) + timedelta(seconds=seconds))
    assert response.status_code == 401
    assert events() == []


def test_generic_signed_with_another_secret_is_401(post_review, shop):
    assert post_review(secret="someone else").status_code == 401
    assert events() == []


@pytest.mark.parametrize("signature", ["", "00" * 32, "not hex"])
def test_judgeme_bad_signature_is_401(post_judgeme, shop, signature):
    assert post_judgeme(fixture_json(JUDGEME), signature=signature).status_code == 401
    assert events() == []


def test_judgeme_signed_with_another_secret_is_401(post_judgeme, shop):
    assert post_judgeme(fixture_json(JUDGEME), secret="other").status_code == 401
    assert events() == []


@pytest.mark.parametrize("raw", [b'{"type": ', b"[1]", b"null", b"\xff\xfe"])
def test_malformed_json_is_400(post_review, post_judgeme, shop, raw):
    for response in (post_review(body=raw), post_judgeme(raw)):
        assert response.status_code == 400 and response.get_json()["error"] == "malformed_json"
    assert events() == []


def test_body_over_the_limit_is_413(post_review, post_judgeme, shop):
    raw = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert post_review(body=raw).status_code == 413
    assert post_judgeme(raw).status_code == 413
    assert events() == []


@pytest.mark.parametrize(("change", "field"), [
    ({"customer_id": None}, "customer_id"),
    ({"product_id": "a:b"}, "product_id"),
    ({"review_id": 1.5}, "review_id"),
    ({"rating": 6}, "rating"),
    ({"colour": "red"}, "colour"),
])
def test_generic_wrong_field_is_422_naming_it(post_review, shop, change, field):
    body = {"type": "review.published", "review_id": "r1", "customer_id": BOB, "product_id": "p1", **change}
    response = post_review(body=body)
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert events() == []


@pytest.mark.parametrize(("change", "field"), [
    (lambda r: r.update(id="12 34"), "review.id"),
    (lambda r: r.update(id="x" * 57), "review.id"),
    (lambda r: r.update(id=2**63), "review.id"),
    (lambda r: r.update(id="r\u0000"), "review.id"),
    (lambda r: r.pop("published"), "review.published"),
    (lambda r: r.update(hidden="maybe"), "review.hidden"),
    (lambda r: r["reviewer"].update(external_id=[1]), "review.reviewer.external_id"),
    (lambda r: r["reviewer"].update(external_id=2**64), "review.reviewer.external_id"),
    (lambda r: r["reviewer"].update(email="bob\u0000@example.com"), "review.reviewer.email"),
    (lambda r: r["reviewer"].update(email="\udfff@example.com"), "review.reviewer.email"),
    (lambda r: r.update(product_external_id="p:1"), "review.product_external_id"),
])
def test_judgeme_wrong_field_is_200_and_stored_invalid_naming_it(post_judgeme, shop, drain, change,
                                                                  field):
    """Signed Judge.me deliveries are never a 4xx: it would retry them and then drop the hook."""
    configure(shop)
    body = fixture_json(JUDGEME)
    change(body["review"])
    response = post_judgeme(body)
    drain()
    assert response.status_code == 200
    (event,) = events()
    assert event.status == EventStatus.INVALID and event.error.startswith(field + ":"), event.error
    assert entries() == []
    with session():
        assert Customer.select().count() == 0


def test_judgeme_invalid_review_retried_after_the_fix_earns_once(app, client, post_judgeme, shop, drain,
                                                                 monkeypatch):
    configure(shop)
    real = topics.REGISTRY["judgeme"]["review/created"]

    def too_strict(body):  # a mapper bug: the rating, which earns nothing, had to be 1-3
        raise ValidationError({"review": {"rating": ["Must be between 1 and 3."]}})

    monkeypatch.setitem(topics.REGISTRY["judgeme"], "review/created", topics.Topic(real.read, too_strict))
    post_judgeme(fixture_json(JUDGEME))
    drain()
    (event,) = events()
    assert event.status == EventStatus.INVALID and event.error.startswith("review.rating:")
    monkeypatch.setitem(topics.REGISTRY["judgeme"], "review/created", real)  # the fix is deployed
    headers = admin_headers(app, shop)
    assert client.post(f"/api/v1/events/{event.id}/retry", headers=headers).status_code == 202
    assert client.post(f"/api/v1/events/{event.id}/retry", headers=headers).status_code == 409
    drain()
    assert [e.status for e in events()] == ["applied"]
    assert entries() == [("review", 50, f"review:{BOB}:632910392")]


@pytest.mark.parametrize(("change", "field"), [
    ({"review_id": "r\u0000"}, "review_id"),
    ({"customer_id": "\ud800"}, "customer_id"),
    ({"product_id": 2**63}, "product_id"),
])
def test_generic_unstorable_value_is_422_naming_it(post_review, shop, change, field):
    """Our own documented schema, sent by the store's developer: a 422 naming the field (not a 500)."""
    body = {"type": "review.published", "review_id": "r1", "customer_id": BOB, "product_id": "p1", **change}
    response = post_review(body=body)
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert events() == []


def test_generic_unknown_type_is_acknowledged_and_recorded(post_review, shop):
    response = post_review(body={"type": "review.deleted", "anything": True})
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    (event,) = events()
    assert (event.topic, event.kind, event.status) == ("review.deleted", None, "ignored")
    assert entries() == []


def test_judgeme_unknown_event_is_acknowledged_and_recorded(post_judgeme, shop):
    body = {**fixture_json(JUDGEME), "event": "question/created"}
    assert post_judgeme(body).get_json()["status"] == "ignored"
    (event,) = events()
    assert (event.topic, event.status) == ("question/created", "ignored")


@pytest.mark.parametrize(("change", "note"), [
    (lambda r: r["reviewer"].update(external_id=None), "not one of the store's customers"),
    (lambda r: r.update(product_external_id=None), "review of the store"),
])
def test_judgeme_guest_or_store_review_is_recorded_but_earns_nothing(post_judgeme, shop, drain, change,
                                                                     note):
    configure(shop)
    body = fixture_json(JUDGEME)
    change(body["review"])
    assert post_judgeme(body).get_json()["status"] == "ignored"
    drain()
    (event,) = events()
    assert note in event.error and entries() == []
