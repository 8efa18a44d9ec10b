"""The webhook subscriptions admin API: create (201 with id and whsec_ secret), list, delete,
resume, the delivery log and replay; bad input is a 422 naming the field, never a 500; one shop
never sees another's subscriptions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core.db import database, session
from plugin.core.models import Customer, Delivery, WebhookSubscription
from plugin.core.status import DeliveryStatus, SubscriptionStatus
from plugin.notify import dispatch, outbox
from plugin.notify.types import SAMPLES, TYPES
from plugin.notify.webhooks import guard, subscriptions
from tests.helpers import admin_headers

URL = "/api/v1/webhook-subscriptions"
PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Every host resolves to a public address unless a test says otherwise: no real DNS in tests."""
    answers: dict[str, list[str]] = {
        "localhost.example.com": ["127.0.0.1"], "intranet.example.com": ["10.1.2.3"],
        "metadata.example.com": ["169.254.169.254"], "v6.example.com": ["::1"],
        "mapped.example.com": ["::ffff:192.168.0.1"], "multi.example.com": ["224.0.0.1"],
        "shared.example.com": ["100.64.0.1"]}
    monkeypatch.setattr(guard, "resolve", lambda host, port: answers.get(host, [PUBLIC]))
    return answers


def create(client, headers, url="https://crm.example.com/hooks", events=("*",)):
    return client.post(URL, json={"url": url, "events": list(events)}, headers=headers)


def test_create_answers_201_with_id_and_a_standard_webhooks_secret(app, client, shop, dns):
    headers = admin_headers(app, shop)
    response = create(client, headers, events=["points.earned", "tier.changed", "points.earned"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"].startswith("sub_") and body["secret"].startswith("whsec_")
    assert body["events"] == ["points.earned", "tier.changed"] and body["status"] == SubscriptionStatus.ACTIVE
    with session():
        stored = WebhookSubscription.get(WebhookSubscription.uid == body["id"])
    assert body["secret"] not in stored.secret  # encrypted at rest
    listed = client.get(URL, headers=headers).get_json()["items"]
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    assert client.get(f"{URL}/{body['id']}/secret", headers=headers).get_json() == {"secret": body["secret"]}
    assert client.delete(f"{URL}/{body['id']}", headers=headers).status_code == 204
    assert client.get(URL, headers=headers).get_json()["items"] == []
    assert client.delete(f"{URL}/{body['id']}", headers=headers).status_code == 404


def test_a_retry_with_its_idempotency_key_gets_the_same_subscription_not_a_second(app, client, shop, dns):
    headers = {**admin_headers(app, shop), "Idempotency-Key": "crm-setup-0001"}
    first = create(client, headers, events=["points.earned"])
    again = create(client, headers, events=["points.earned"])
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = create(client, headers, url="https://other.example.com/h", events=["points.earned"])
    assert other.status_code == 409 and "Idempotency-Key" in other.get_json()["fields"]
    bad = create(client, {**headers, "Idempotency-Key": "short"})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.get_json()["fields"]
    with session():
        assert WebhookSubscription.select().count() == 1
        assert "whsec_" not in WebhookSubscription.get().secret  # the secret is stored encrypted only


@pytest.mark.parametrize("url, why", [
    ("http://crm.example.com/hooks", "https"),
    ("https://localhost.example.com/h", "127.0.0.1"),
    ("https://intranet.example.com/h", "10.1.2.3"),
    ("https://metadata.example.com/h", "169.254.169.254"),
    ("https://v6.example.com/h", "::1"),
    ("https://mapped.example.com/h", "::ffff:192.168.0.1"),
    ("https://multi.example.com/h", "224.0.0.1"),
    ("https://shared.example.com/h", "100.64.0.1"),
    ("https://user:pw@crm.example.com/h", "password"),
    ("https:///nohost", "host"),
    ("https://crm.example.com:99999/h", "valid"),
    ("ftp://crm.example.com/h", "https"),
])
def test_a_url_that_is_not_https_to_a_public_address_is_refused(app, client, shop, dns, url, why):
    response = create(client, admin_headers(app, shop), url=url)
    assert response.status_code == 422
    assert why in " ".join(response.get_json()["fields"]["url"])


def test_private_addresses_are_allowed_only_when_the_operator_says_so(app, client, shop, dns, monkeypatch):
    monkeypatch.setenv(guard.ALLOW_PRIVATE, "1")
    assert create(client, admin_headers(app, shop), url="http://127.0.0.1:8080/h").status_code == 201


def test_unknown_event_types_are_a_422_naming_events(app, client, shop, dns):
    response = create(client, admin_headers(app, shop), events=["points.earned", "points.stolen"])
    assert response.status_code == 422 and "events.1" in response.get_json()["fields"]
    response = create(client, admin_headers(app, shop), events=[])
    assert response.status_code == 422 and "events" in response.get_json()["fields"]


def test_a_shop_has_at_most_twenty(app, client, shop, dns):
    headers = admin_headers(app, shop)
    for _ in range(subscriptions.MAX_PER_SHOP):
        assert create(client, headers).status_code == 201
    assert create(client, headers).status_code == 409


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=20))
JSONISH = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
BODIES = st.fixed_dictionaries({}, optional={
    "url": st.one_of(JSONISH, st.text(max_size=3000), st.sampled_from(
        ["https://crm.example.com/x", "https://intranet.example.com/", "http://a.b/", "https://[::1]/",
         "https://10.0.0.1/", "https://%zz/", "https://a.example.com:0/"])),
    "events": st.one_of(JSONISH, st.lists(st.sampled_from([*TYPES, "*", "nope", ""]), max_size=4)),
    "extra": JSONISH})


@given(body=BODIES)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_json_body_is_a_201_or_a_4xx_naming_the_field_never_a_500(app, client, shop, dns, body):
    response = client.post(URL, json=body, headers=admin_headers(app, shop))
    assert response.status_code in (201, 400, 409, 422), (body, response.get_data(as_text=True))
    if response.status_code == 400:
        assert response.get_json()["error"] == "nul_character"  # the house's rule for NUL in text
    if response.status_code in (400, 422):
        named = set(response.get_json()["fields"])
        assert named and all(name.split(".")[0] in {"url", "events", "extra"} for name in named), named


def test_malformed_json_is_400_and_no_key_is_401(app, client, shop, dns):
    response = client.post(URL, data=b"{nope", headers={**admin_headers(app, shop),
                                                       "Content-Type": "application/json"})
    assert response.status_code == 400
    assert client.post(URL, json={"url": "https://crm.example.com/", "events": ["*"]}).status_code == 401


def test_another_shop_sees_and_touches_none_of_them(app, client, shop, other_shop, dns):
    mine = create(client, admin_headers(app, shop)).get_json()["id"]
    theirs = admin_headers(app, other_shop)
    assert client.get(URL, headers=theirs).get_json()["items"] == []
    for method, path in (("get", ""), ("get", "/secret"), ("delete", ""), ("post", "/resume"),
                         ("get", "/deliveries"), ("post", "/messages/msg_x/replay")):
        assert getattr(client, method)(f"{URL}/{mine}{path}", headers=theirs).status_code == 404, path
    assert client.post(f"{URL}/{mine}/replay", json={"since": "2026-01-01T00:00:00Z"},
                       headers=theirs).status_code == 404
    assert client.get(URL, headers=admin_headers(app, shop)).get_json()["items"][0]["id"] == mine


def test_log_replay_and_resume(app, client, shop, other_shop, dns, monkeypatch):
    headers = admin_headers(app, shop)
    sub = create(client, headers, events=["points.earned"]).get_json()
    with session():
        anna = Customer.create(shop=shop.id, platform_id="anna")
        with database.atomic():
            outbox.record(shop.id, "points.earned", "e1", SAMPLES["points.earned"], customer_id=anna.id)
            outbox.record(other_shop.id, "points.earned", "e1", SAMPLES["points.earned"])
    dispatch.dispatch()
    with session():
        Delivery.update(status=DeliveryStatus.FAILED, attempts=11, error="HTTP 500: down",
                        response_code=500).execute()
        WebhookSubscription.update(status=SubscriptionStatus.PAUSED, paused_at=Delivery.select(
            Delivery.created_at).limit(1)).execute()
    log = client.get(f"{URL}/{sub['id']}/deliveries", headers=headers).get_json()
    assert len(log["items"]) == 1 and log["next_before"] is None
    row = log["items"][0]
    assert (row["type"], row["status"], row["attempts"], row["response_code"]) == (
        "points.earned", "failed", 11, 500)
    assert client.get(f"{URL}/{sub['id']}/deliveries?status=sent", headers=headers).get_json()["items"] == []
    assert client.get(f"{URL}/{sub['id']}/deliveries?status=lost", headers=headers).status_code == 422
    replay = client.post(f"{URL}/{sub['id']}/messages/{row['message_id']}/replay", headers=headers)
    assert replay.status_code == 202 and replay.get_json() == {"replayed": 1}
    since = f"{URL}/{sub['id']}/replay"
    assert client.post(since, json={"since": "2020-01-01T00:00:00+03:00"}, headers=headers).get_json() == {
        "replayed": 1}
    assert client.post(since, json={"since": "yesterday"}, headers=headers).status_code == 422
    resumed = client.post(f"{URL}/{sub['id']}/resume", headers=headers).get_json()
    assert resumed["status"] == "active" and resumed["paused_at"] is None


def test_the_openapi_document_describes_them(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/webhook-subscriptions"]) >= {"get", "post"}
    assert "delete" in paths["/api/v1/webhook-subscriptions/{sub_id}"]
    for tail in ("/deliveries", "/resume", "/replay", "/messages/{message_id}/replay", "/secret"):
        assert f"/api/v1/webhook-subscriptions/{{sub_id}}{tail}" in paths
