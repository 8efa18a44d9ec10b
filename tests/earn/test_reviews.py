"""Review points from Judge.me and from the generic Standard Webhooks endpoint: the ledger they move."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Event, Lot
from tests.helpers import (
    BOB,
    JUDGEME_REVIEW,
    REVIEWS,
    configure_reviews,
    entries,
    events,
    fixture_json,
)


def balance(platform_id: str = BOB) -> int:
    with session():
        customer = Customer.get(Customer.platform_id == platform_id)
        return sum(ledger.balances(customer).values())


def note(event: Event) -> dict:
    """The reason code an event's note is stored as."""
    return reasons.load(event.error)


# --- Standard Webhooks: the official vectors, with the library we verify with ---------------------


# --- Receivers and the ledger, on both backends -----------------------------------------------------

def test_generic_published_review_earns_the_program_points(post_review, shop, drain):
    configure_reviews(shop)
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
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
    assert post_judgeme(body).get_json()["status"] == "accepted"
    drain()
    assert entries() == [("review", 50, f"review:{BOB}:632910392")]
    (event,) = events()
    assert (event.platform, event.topic, event.kind) == ("judgeme", "review/created", "review.published")
    assert event.business_key == "review.published:512044871"
    with session():
        assert Customer.get().email == body["review"]["reviewer"]["email"]


def test_judgeme_review_hidden_later_is_taken_back(post_judgeme, shop, drain):
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
    post_judgeme(body)
    hidden = {**body, "event": "review/updated", "review": {**body["review"], "hidden": True}}
    post_judgeme(hidden)
    drain()
    assert [e.kind for e in events()] == ["review.published", "review.unpublished"]
    assert entries() == [("review", 50, f"review:{BOB}:632910392"),
                         ("reverse", -50, f"review:{BOB}:632910392:unpublished")]
    assert balance() == 0


def test_judgeme_created_and_updated_both_published_is_one_event(post_judgeme, shop, drain):
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
    post_judgeme(body)
    again = post_judgeme({**body, "event": "review/updated",
                          "review": {**body["review"], "title": "Still warm"}})
    drain()
    assert again.get_json()["status"] == "duplicate"
    assert len(events()) == 1 and balance() == 50


def test_publish_unpublish_publish_nets_one_grant(post_review, shop, drain):
    configure_reviews(shop)
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
    configure_reviews(shop)
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
    configure_reviews(shop, policy="negative")
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
    configure_reviews(shop)
    post_review(review="r1")
    post_review(review="r2")
    drain()
    assert entries() == [("review", 50, f"review:{BOB}:p1")]
    assert note(events()[1]) == {"code": "event.review_repeated", "review": "r1", "product": "p1"}
    assert [e.status for e in events()] == ["applied", "applied"]


def test_unpublishing_the_review_that_did_not_earn_takes_nothing(post_review, shop, drain):
    configure_reviews(shop)
    post_review(review="r1")
    post_review(review="r2")
    post_review("review.unpublished", review="r2")
    drain()
    assert balance() == 50


def test_monthly_cap_counts_reviews_in_the_calendar_month(post_review, shop, drain):
    configure_reviews(shop, {**REVIEWS, "monthly_cap": 2})
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
    configure_reviews(shop, {**REVIEWS, "monthly_cap": 1})
    post_review("review.published")
    post_review("review.unpublished")
    post_review("review.published")
    drain()
    assert balance() == 50 and all(e.error is None for e in events())


def test_program_without_reviews_section_earns_nothing_and_says_so(post_review, shop, drain):
    configure_reviews(shop, None)
    post_review()
    drain()
    (event,) = events()
    assert event.status == "applied" and note(event) == {"code": "event.no_review_points"}
    assert entries() == []


def test_same_delivery_twice_is_stored_and_applied_once(post_review, shop, drain):
    configure_reviews(shop)
    first = post_review(delivery="msg_same")
    second = post_review(delivery="msg_same")
    drain()
    assert (first.get_json()["status"], second.get_json()["status"]) == ("accepted", "duplicate")
    assert len(events()) == 1 and balance() == 50


def test_same_judgeme_body_twice_is_stored_once(post_judgeme, shop, drain):
    configure_reviews(shop)
    body = fixture_json(JUDGEME_REVIEW)
    post_judgeme(body)
    assert post_judgeme(body).get_json()["status"] == "duplicate"
    drain()
    assert len(events()) == 1 and balance() == 50
