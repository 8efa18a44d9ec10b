"""The webhook subscriptions pages: subscribe a URL (refused with the reason when it is not https
to a public address), the secret, the delivery log, replay, resume, delete; the banner while one is
paused; another shop's subscription is a 404."""

from __future__ import annotations

import re

import pytest

from plugin.core.db import database, session
from plugin.core.models import Customer, Delivery, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import dispatch, outbox
from plugin.notify.types import SAMPLES
from plugin.notify.webhooks import guard, subscriptions
from tests.helpers import post_form


@pytest.fixture
def dns(monkeypatch):
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["10.0.0.9"] if host.startswith("intranet")
                        else ["93.184.216.34"])


def subscribe(client, url="https://crm.example.com/hooks", events=("points.earned",)):
    return post_form(client, "/admin/webhooks", {"url": url, "events": list(events)}, page="/admin/webhooks")


def test_subscribe_then_see_secret_log_replay_and_delete(app, signed_in, shop, dns):
    page = signed_in.get("/admin/webhooks").get_data(as_text=True)
    assert "Webhooks" in page and "points.earned" in page
    response = subscribe(signed_in)
    assert response.status_code == 303
    with session():
        sub = WebhookSubscription.get()
    detail = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert subscriptions.secret(sub, app.extensions["loyalty"].vault) in detail
    assert "crm.example.com" in detail
    with session():
        anna = Customer.create(shop=shop.id, platform_id="anna")
        with database.atomic():
            outbox.record(shop.id, "points.earned", "e1", SAMPLES["points.earned"], customer_id=anna.id)
    dispatch.dispatch()
    page = f"/admin/webhooks/{sub.uid}"
    log = signed_in.get(page).get_data(as_text=True)
    message_id = re.search(r"(msg_[0-9a-f]{32})", log).group(1)
    replayed = post_form(signed_in, f"{page}/messages/{message_id}/replay", {}, page=page)
    assert "Queued again: 1." in signed_in.get(replayed.headers["Location"]).get_data(as_text=True)
    since = post_form(signed_in, f"{page}/replay", {"since": "2020-01-01T00:00"}, page=page)
    assert "Queued again: 1." in signed_in.get(since.headers["Location"]).get_data(as_text=True)
    bad = post_form(signed_in, f"{page}/replay", {"since": "soon"}, page=page)
    assert "Pick a date" in signed_in.get(bad.headers["Location"]).get_data(as_text=True)
    assert post_form(signed_in, f"{page}/delete", {}, page=page).status_code == 303
    assert signed_in.get(page).status_code == 404


def test_a_refused_url_shows_why_in_russian_too(app, signed_in, dns):
    response = subscribe(signed_in, url="https://intranet.example.com/h")
    assert response.status_code == 422
    assert "10.0.0.9" in response.get_data(as_text=True)
    assert "Подписать адрес" in signed_in.get("/admin/webhooks?lang=ru").get_data(as_text=True)


def test_a_paused_subscription_is_announced_and_resumed(app, signed_in, shop, dns):
    subscribe(signed_in)
    with session():
        WebhookSubscription.update(status=SubscriptionStatus.PAUSED).execute()
        sub = WebhookSubscription.get()
    overview = signed_in.get("/admin/overview").get_data(as_text=True)
    assert "is paused" in overview and f"/admin/webhooks/{sub.uid}" in overview
    page = f"/admin/webhooks/{sub.uid}"
    response = post_form(signed_in, f"{page}/resume", {}, page=page)
    assert "Resumed" in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "is paused" not in signed_in.get("/admin/overview").get_data(as_text=True)
    with session():
        assert WebhookSubscription.get().status == SubscriptionStatus.ACTIVE
        assert not Delivery.select().where(Delivery.status == DeliveryStatus.PENDING).exists()


def test_another_shops_subscription_is_not_found(app, signed_in, other_shop, dns):
    with session():
        theirs, _ = subscriptions.create(other_shop.id, "https://crm.example.com/x", ["*"],
                                         app.extensions["loyalty"].vault)
    assert signed_in.get(f"/admin/webhooks/{theirs.uid}").status_code == 404
    deleting = post_form(signed_in, f"/admin/webhooks/{theirs.uid}/delete", {}, page="/admin/webhooks")
    assert deleting.status_code == 404
    assert "crm.example.com/x" not in signed_in.get("/admin/webhooks").get_data(as_text=True)


def test_the_form_submitted_twice_makes_one_subscription(signed_in, dns):
    page = signed_in.get("/admin/webhooks").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    form = {"url": "https://crm.example.com/hooks", "events": ["points.earned"], "key": key}
    first = post_form(signed_in, "/admin/webhooks", form, page="/admin/webhooks")
    again = post_form(signed_in, "/admin/webhooks", form, page="/admin/webhooks")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with session():
        assert WebhookSubscription.select().count() == 1
    fresh = re.search(r'name="key" value="([^"]+)"', signed_in.get("/admin/webhooks").get_data(as_text=True))
    assert fresh.group(1) != key  # the next form is a new subscription
