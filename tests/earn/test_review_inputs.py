"""The review receivers' input handling: signatures, bodies, fields and unknown kinds (401, 400, 413,
422, or stored and acknowledged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from plugin.core.db import session
from plugin.core.models import Customer
from plugin.core.status import EventStatus
from tests.helpers import (
    BOB,
    JUDGEME_REVIEW,
    admin_headers,
    configure_reviews,
    entries,
    events,
    fixture_json,
)
from webhooks import topics


def test_unknown_shop_is_401_and_writes_nothing(post_review, post_judgeme, shop):
    assert post_review(domain="nobody.myshopify.com").status_code == 401
    body = {**fixture_json(JUDGEME_REVIEW), "shop_domain": "nobody.myshopify.com"}
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
    assert post_judgeme(fixture_json(JUDGEME_REVIEW), signature=signature).status_code == 401
    assert events() == []


def test_judgeme_signed_with_another_secret_is_401(post_judgeme, shop):
    assert post_judgeme(fixture_json(JUDGEME_REVIEW), secret="other").status_code == 401
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
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
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
    configure_reviews(shop)
    real = topics.REGISTRY["judgeme"]["review/created"]

    def too_strict(body):  # a mapper bug: the rating, which earns nothing, had to be 1-3
        raise ValidationError({"review": {"rating": ["Must be between 1 and 3."]}})

    monkeypatch.setitem(topics.REGISTRY["judgeme"], "review/created", topics.Topic(real.read, too_strict))
    post_judgeme(fixture_json(JUDGEME_REVIEW))
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
    body = {**fixture_json(JUDGEME_REVIEW), "event": "question/created"}
    assert post_judgeme(body).get_json()["status"] == "ignored"
    (event,) = events()
    assert (event.topic, event.status) == ("question/created", "ignored")


@pytest.mark.parametrize(("change", "note"), [
    (lambda r: r["reviewer"].update(external_id=None), "not one of the store's customers"),
    (lambda r: r.update(product_external_id=None), "review of the store"),
])
def test_judgeme_guest_or_store_review_is_recorded_but_earns_nothing(post_judgeme, shop, drain, change,
                                                                     note):
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
    change(body["review"])
    assert post_judgeme(body).get_json()["status"] == "ignored"
    drain()
    (event,) = events()
    assert note in event.error and entries() == []
