"""Badges, challenges, quests and the opt-in leaderboard, driven by real webhooks and API calls."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from standardwebhooks import Webhook

from plugin.core import clock
from plugin.core.db import session
from plugin.core.models import Badge, ChallengeProgress, Customer, LedgerEntry, Lot, QuestProgress
from plugin.earn import games
from plugin.program import document, versions
from tests.helpers import SHOP_DOMAIN, admin_headers, fixture_json, shopper_headers
from webhooks.reviews import standard_secret

ORDER = fixture_json("shopify/rest2025-07_order_450789469__GET_orders_450789469.json")
BOB, ANN, CAT = "207119551", "300", "400"
NOW = datetime(2026, 6, 1, 12, 0)
TITLE = {"en": "A title", "ru": "Название"}


def at(moment: datetime) -> None:
    clock.set_source(lambda: moment.replace(tzinfo=UTC))


def order(order_id: int, customer: str = BOB) -> dict:
    body = copy.deepcopy(ORDER)
    body["id"], body["customer"]["id"] = order_id, int(customer)
    return body


def configure(shop, **games_section) -> None:
    doc = {**document.DEFAULT, "reviews": {"points": 10},
           "activities": {"follow": {"points": 5, "limit": "unlimited"}},
           "games": games_section}
    with session():
        versions.save(shop.id, doc, author="test")


@pytest.fixture
def review(app, client, shop, drain):
    """A review published for BOB, signed the Standard Webhooks way."""
    ids = count(1)

    def post(product: str) -> None:
        n = next(ids)
        raw = json.dumps({"type": "review.published", "review_id": f"r{n}", "customer_id": BOB,
                          "product_id": product}).encode()
        when = datetime.now(UTC)
        signer = Webhook(standard_secret(app.extensions["loyalty"].vault.webhook_secret(shop.id)))
        headers = {"Content-Type": "application/json", "webhook-id": f"msg_{n}",
                   "webhook-timestamp": str(int(when.timestamp())),
                   "webhook-signature": signer.sign(f"msg_{n}", when, raw.decode())}
        assert client.post(f"/webhooks/reviews/{SHOP_DOMAIN}", data=raw, headers=headers).status_code == 200
        drain()

    return post


@pytest.fixture
def activity(app, client, shop):
    ids = count(1)

    def post(name: str = "follow") -> None:
        body = {"activity_id": f"a{next(ids)}", "customer_id": BOB, "name": name}
        response = client.post("/api/v1/activities", json=body, headers=admin_headers(app, shop))
        assert response.status_code == 201

    return post


def badges(customer: str = BOB) -> list[str]:
    with session():
        return [b.badge_id for b in Badge.select().join(Customer).where(Customer.platform_id == customer)]


def game_lots(customer: str = BOB) -> dict[str, int]:
    with session():
        return {lot.key: lot.original for lot in Lot.select().join(Customer, on=(Lot.customer == Customer.id))
                .where(Customer.platform_id == customer)
                if lot.source.split(":")[0] in ("badge", "challenge", "quest")}


def test_first_purchase_badge_is_earned_once_with_its_points(shop, paid):
    at(NOW)
    configure(shop, badges=[{"id": "first", "title": TITLE, "when": "first_purchase", "points": 50}])
    paid(order(1), order(2))
    assert badges() == ["first"]
    assert game_lots() == {f"badge:first:{BOB}": 50}


def test_orders_badge_waits_for_the_nth_order(shop, paid):
    at(NOW)
    configure(shop, badges=[{"id": "three", "title": TITLE, "when": "orders", "count": 3}])
    paid(order(1), order(2))
    assert badges() == []
    paid(order(3))
    assert badges() == ["three"]
    assert game_lots() == {}  # a badge without points moves no points


def spend_challenge(target: str = "1000") -> dict:
    return {"id": "week", "title": TITLE, "goal": "spend", "target": target, "points": 300,
            "starts_at": NOW.isoformat(), "ends_at": (NOW + timedelta(days=7)).isoformat()}


def test_challenge_completed_by_spending_within_its_window(shop, paid):
    at(NOW - timedelta(days=1))
    configure(shop, challenges=[spend_challenge()])
    at(NOW + timedelta(days=1))
    paid(order(1))
    with session():
        row = ChallengeProgress.get()
        assert row.completed_at is None and 0 < row.progress < 1000
    at(NOW + timedelta(days=2))
    paid(order(2))
    with session():
        assert ChallengeProgress.get().completed_at == NOW + timedelta(days=2)
    assert game_lots() == {f"challenge:week:{BOB}": 300}


def test_orders_outside_the_window_do_not_count(shop, paid):
    at(NOW - timedelta(days=3))
    configure(shop, challenges=[spend_challenge()])
    paid(order(1))  # before it starts
    at(NOW + timedelta(days=7))
    paid(order(2))  # when it has ended
    at(NOW + timedelta(days=3))
    paid(order(3))  # the only one inside
    with session():
        row = ChallengeProgress.get()
        eligible = Decimal(row.progress)
    assert row.completed_at is None and eligible < 1000
    assert game_lots() == {}


def test_quest_steps_count_only_in_their_order(shop, paid, review, activity):
    at(NOW)
    configure(shop, quests=[{"id": "tour", "title": TITLE, "points": 200, "steps": [
        {"goal": "review"}, {"goal": "order"}, {"goal": "activity", "name": "follow"}]}])

    def step() -> int:
        with session():
            row = QuestProgress.get_or_none()
            return row.step if row else 0

    moments = iter(NOW + timedelta(minutes=n) for n in range(1, 10))
    at(next(moments))
    paid(order(1))  # an order before the review is not the second step
    assert step() == 0
    at(next(moments))
    review("p1")
    assert step() == 1
    at(next(moments))
    activity()  # the follow comes before its order: not yet
    assert step() == 1
    at(next(moments))
    paid(order(2))
    assert step() == 2 and game_lots() == {}
    at(next(moments))
    activity()
    assert step() == 3
    assert game_lots() == {f"quest:tour:{BOB}": 200}


def test_replaying_an_order_advances_nothing_twice(shop, paid, post_webhook, drain):
    at(NOW)
    configure(shop, badges=[{"id": "first", "title": TITLE, "when": "first_purchase", "points": 50},
                            {"id": "two", "title": TITLE, "when": "orders", "count": 2, "points": 5}],
              challenges=[spend_challenge("1")],
              quests=[{"id": "two-orders", "title": TITLE, "points": 7,
                       "steps": [{"goal": "order"}, {"goal": "order"}]}])
    paid(order(1))
    with session():
        before = (ChallengeProgress.get().progress, LedgerEntry.select().count())
    assert post_webhook("orders/paid", order(1), delivery="another-delivery").status_code == 200
    drain()
    with session():  # the domain called again for the same facts changes nothing either
        games.on_event("order.paid", Customer.get(Customer.platform_id == BOB))
        assert (ChallengeProgress.get().progress, LedgerEntry.select().count()) == before
        assert QuestProgress.get().step == 1
    assert badges() == ["first"]
    assert game_lots() == {f"badge:first:{BOB}": 50, f"challenge:week:{BOB}": 300}


def test_store_gives_a_custom_badge_once(app, client, shop, paid):
    at(NOW)
    configure(shop, badges=[{"id": "vip", "title": TITLE, "when": "custom", "points": 100},
                            {"id": "first", "title": TITLE, "when": "first_purchase"}])
    paid(order(1))
    url = f"/api/v1/customers/{BOB}/badges"
    first = client.post(url, json={"badge": "vip"}, headers=admin_headers(app, shop))
    again = client.post(url, json={"badge": "vip"}, headers=admin_headers(app, shop))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["points"] == 100
    assert client.post(url, json={"badge": "first"}, headers=admin_headers(app, shop)).status_code == 422
    assert client.post("/api/v1/customers/nobody/badges", json={"badge": "vip"},
                       headers=admin_headers(app, shop)).status_code == 404
    listed = client.get(url, headers=admin_headers(app, shop)).get_json()["items"]
    assert [item["badge"] for item in listed] == ["first", "vip"]
    assert game_lots()[f"badge:vip:{BOB}"] == 100


def test_widget_shows_badges_and_challenge_progress_with_deadlines(app, client, shop, paid):
    at(NOW + timedelta(hours=1))
    configure(shop, badges=[{"id": "first", "title": TITLE, "when": "first_purchase"},
                            {"id": "five", "title": TITLE, "when": "orders", "count": 5}],
              challenges=[spend_challenge("5000")])
    paid(order(1))
    data = client.get("/widget/v1/games", headers=shopper_headers(app, shop, BOB)).get_json()
    assert [(b["id"], b["earned"]) for b in data["badges"]] == [("first", True), ("five", False)]
    challenge = data["challenges"][0]
    assert challenge["status"] == "active" and Decimal(challenge["progress"]) > 0
    assert challenge["ends_at"].startswith((NOW + timedelta(days=7)).isoformat())
    assert data["leaderboard"] is None


def test_leaderboard_shows_only_opted_in_display_names_by_points(app, client, shop, paid):
    at(NOW)
    configure(shop, leaderboard={"enabled": True, "window": "month", "size": 10})
    paid(order(1, BOB), order(2, ANN), order(3, ANN), order(4, CAT))
    for customer, name in ((ANN, "Ann the Great"), (BOB, "Bobby")):
        answer = client.post("/widget/v1/leaderboard", json={"display_name": name},
                             headers=shopper_headers(app, shop, customer))
        assert answer.status_code == 200 and answer.get_json()["opted_in"] is True
    response = client.get("/widget/v1/games", headers=shopper_headers(app, shop, CAT))
    board = response.get_json()["leaderboard"]
    assert [(e["rank"], e["display_name"]) for e in board["entries"]] == [(1, "Ann the Great"), (2, "Bobby")]
    assert board["entries"][0]["points"] > board["entries"][1]["points"]
    assert board["me"] == {"opted_in": False, "display_name": None}
    assert "@" not in response.get_data(as_text=True)  # never an email
    assert client.delete("/widget/v1/leaderboard", headers=shopper_headers(app, shop, ANN)).status_code == 200
    board = client.get("/widget/v1/games", headers=shopper_headers(app, shop, BOB)).get_json()["leaderboard"]
    assert [e["display_name"] for e in board["entries"]] == ["Bobby"]
    assert board["me"] == {"opted_in": True, "display_name": "Bobby"}


def test_an_email_is_not_a_display_name(app, client, shop):
    configure(shop, leaderboard={"enabled": True})
    answer = client.post("/widget/v1/leaderboard", json={"display_name": "bob@example.com"},
                         headers=shopper_headers(app, shop, BOB))
    assert answer.status_code == 422


def test_no_leaderboard_no_opt_in(app, client, shop):
    configure(shop)
    answer = client.post("/widget/v1/leaderboard", json={"display_name": "Bob"},
                         headers=shopper_headers(app, shop, BOB))
    assert answer.status_code == 409


