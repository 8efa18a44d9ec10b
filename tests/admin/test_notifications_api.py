"""The notification settings and the message log over the admin API: defaults, changes kept,
secrets never shown back, 422 naming the field for any bad input, and one shop never sees another's."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.admin.notifications_api import MessageArgs, NotificationSettings
from plugin.core.db import session
from plugin.core.models import NotifySettings, Shop
from plugin.notify import settings as notify_settings
from plugin.program import versions
from tests.helpers import admin_headers
from tests.notify.messages import message

URL = "/api/v1/notification-settings"
SMTP = "smtp://mailer:s3cret@mail.example.com:587?starttls=1"
HTTP_GATEWAY = {"url": "https://sms.example.com/send?to={phone}", "method": "POST", "body": "{text}",
                "auth_header": "X-Key"}


@pytest.fixture
def headers(app, shop):
    return admin_headers(app, shop)


def put(client, headers, body):
    return client.put(URL, json=body, headers=headers)


def test_a_new_shop_gets_the_defaults(client, headers):
    got = client.get(URL, headers=headers).get_json()
    assert got["language"] == "en" and got["time_zone"] == "UTC"
    assert got["smtp_url"] is None and got["sms_secret"] is None and got["sms_provider"] is None
    assert got["quiet_hours"] == [21, 9] and got["expiry_warning_days"] == 14


def test_changes_are_kept_and_the_rest_left_as_it_was(client, headers, shop):
    body = {"email": {"points.earned": False}, "sms": {"points.expiring": True}, "sms_provider": "http",
            "sms_config": HTTP_GATEWAY, "quiet_hours": [22, 8], "sms_daily_cap": 1,
            "mail_from": "club@example.com", "language": "ru"}
    response = put(client, headers, body)
    assert response.status_code == 200, response.get_json()
    got = client.get(URL, headers=headers).get_json()
    assert {name: got[name] for name in body} == body
    assert got["time_zone"] == "UTC" and got["brand_colour"] == "#2f6f4f"
    with session():
        stored = notify_settings.load(Shop.get_by_id(shop.id))
    assert not stored.enabled("email", "points.earned") and stored.enabled("sms", "points.expiring")


def test_secrets_are_stored_encrypted_and_shown_only_as_set(app, client, headers, shop):
    response = put(client, headers, {"smtp_url": SMTP, "sms_secret": "api-id-123"})
    assert response.get_json()["smtp_url"] == "set" and response.get_json()["sms_secret"] == "set"
    assert SMTP not in client.get(URL, headers=headers).get_data(as_text=True)
    vault = app.extensions["loyalty"].vault
    with session():
        row = NotifySettings.get(NotifySettings.shop == shop.id)
    assert SMTP not in row.smtp_url and vault.decrypt(row.smtp_url) == SMTP
    assert vault.decrypt(row.sms_secret) == "api-id-123"


def test_set_keeps_a_secret_and_null_removes_it(app, client, headers, shop):
    put(client, headers, {"smtp_url": SMTP, "sms_secret": "api-id-123"})
    got = put(client, headers, {"smtp_url": "set", "sms_secret": None}).get_json()
    assert got["smtp_url"] == "set" and got["sms_secret"] is None
    with session():
        row = NotifySettings.get(NotifySettings.shop == shop.id)
    assert app.extensions["loyalty"].vault.decrypt(row.smtp_url) == SMTP and row.sms_secret is None


def test_what_get_answers_can_be_put_back_unchanged(client, headers):
    put(client, headers, {"smtp_url": SMTP})
    got = client.get(URL, headers=headers).get_json()
    assert put(client, headers, got).get_json() == got


def test_the_reminder_days_publish_a_program_version_by_the_actor(client, headers, shop):
    response = put(client, headers | {"X-Loyalty-Actor": "Olga"}, {"expiry_warning_days": 21})
    assert response.get_json()["expiry_warning_days"] == 21
    with session():
        number, program = versions.current(shop.id)
        assert program["expiry_warning_days"] == 21 and number is not None
    put(client, headers, {"expiry_warning_days": 21})
    with session():
        assert versions.current(shop.id)[0] == number  # the same days: no new version


@pytest.mark.parametrize(("body", "field"), [
    ({"colour": "#000000"}, "colour"),
    ({"email": {"points.nope": True}}, "email"),
    ({"sms": {"redemption.committed": True}}, "sms"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"language": "de"}, "language"),
    ({"quiet_hours": [21]}, "quiet_hours"),
    ({"quiet_hours": [21, 24]}, "quiet_hours"),
    ({"sms_daily_cap": "2"}, "sms_daily_cap"),
    ({"smtp_url": "http://mail.example.com"}, "smtp_url"),
    ({"smtp_url": "smtp://mail.example.com:99999"}, "smtp_url"),
    ({"mail_from": "not an address"}, "mail_from"),
    ({"logo_url": "http://example.com/logo.png"}, "logo_url"),
    ({"brand_colour": "green"}, "brand_colour"),
    ({"sms_provider": "pigeon"}, "sms_provider"),
    ({"sms_provider": "smsru", "sms_config": {"url": "https://x"}}, "sms_config.url"),
    ({"sms_provider": "http", "sms_config": {"url": "https://sms.example.com/{text}"}}, "sms_config.url"),
    ({"sms_provider": "http", "sms_config": {"url": "https://sms.example.com/{phone}"}}, "sms_config.body"),
    ({"expiry_warning_days": 400}, "expiry_warning_days"),
])
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, headers, body, field):
    before = client.get(URL, headers=headers).get_json()
    response = put(client, headers, body)
    assert response.status_code == 422, response.get_json()
    assert any(name == field or name.startswith(field + ".") for name in response.get_json()["fields"])
    assert client.get(URL, headers=headers).get_json() == before


def test_a_body_that_is_not_a_json_object_is_a_400(client, headers):
    response = client.put(URL, data="{", headers=headers, content_type="application/json")
    assert response.status_code == 400


def test_without_the_key_nothing_is_read_or_changed(client):
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"language": "ru"}).status_code == 401
    assert client.get("/api/v1/messages").status_code == 401


# A NUL or a lone surrogate is a 400 before any schema (tests/http covers those): text without them.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=8)
NUMBERS = st.integers() | st.floats(allow_nan=False, allow_infinity=False)  # what JSON can hold
JSONISH = st.recursive(st.none() | st.booleans() | NUMBERS | TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                       max_leaves=6)
FIELD_NAMES = st.sampled_from([*NotificationSettings().fields, "other"])
QUERY_NAMES = st.sampled_from([*MessageArgs().fields, "other"])
QUERY_VALUES = TEXT | st.sampled_from(["c-1", "points.earned", "email", "failed", "2026-12-01T00:00:00Z",
                                      "10"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(FIELD_NAMES, JSONISH, max_size=4))
def test_any_json_body_is_saved_or_a_422_naming_a_field_it_holds(client, headers, body):
    response = put(client, headers, body)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        named = {name.split(".")[0] for name in response.get_json()["fields"]}
        assert named and named <= set(body)
    else:
        got = client.get(URL, headers=headers).get_json()
        kept = set(body) - {"email", "sms", "smtp_url", "sms_secret"}
        assert {name: got[name] for name in kept} == {name: body[name] for name in kept}


def test_a_switch_given_changes_only_its_type(client, headers):
    put(client, headers, {"email": {"points.earned": False}})
    got = put(client, headers, {"email": {"points.spent": True}}).get_json()
    assert got["email"] == {"points.earned": False, "points.spent": True}


def test_the_openapi_document_describes_the_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/notification-settings"])
    assert "get" in paths["/api/v1/messages"] and "get" in paths["/api/v1/messages/{uid}"]
    body = paths["/api/v1/notification-settings"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(QUERY_NAMES, QUERY_VALUES, max_size=3))
def test_any_message_search_is_answered_or_a_422_naming_the_argument(client, headers, query):
    response = client.get("/api/v1/messages", query_string=query, headers=headers)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert set(response.get_json()["fields"]) <= set(query)


def test_the_message_log_finds_by_shopper_type_channel_status_and_time(client, headers, shop):
    earned = message(shop, "points.earned", "earn:1", shopper="c-1", email="Ann@Example.com",
                     at=datetime(2026, 12, 1, 10), deliveries=(("email", "ann@example.com", "sent"),))
    failed = message(shop, "points.expiring", "expiring:2", shopper="c-2", at=datetime(2026, 12, 3, 10),
                     deliveries=(("email", "bob@example.com", "failed", "550 no such user"),
                                 ("sms", "79990000000", "sent")))
    message(shop, "redemption.committed", "hold:3", shopper=None, at=datetime(2026, 12, 5, 10))

    def ids(**query) -> list[str]:
        response = client.get("/api/v1/messages", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return [m["id"] for m in response.get_json()["items"]]

    assert len(ids()) == 3
    assert ids(shopper="ann@example.COM") == [earned] == ids(shopper="c-1")
    assert ids(type="points.expiring") == [failed] == ids(status="failed") == ids(channel="sms")
    assert ids(since="2026-12-02T00:00:00Z", until="2026-12-04T00:00:00Z") == [failed]
    assert ids(limit=1)[0] != earned


def test_a_message_shows_its_deliveries_with_their_errors(client, headers, shop):
    uid = message(shop, "points.expiring", "expiring:2", shopper="c-2",
                  deliveries=(("email", "bob@example.com", "failed", "550 no such user"),))
    got = client.get(f"/api/v1/messages/{uid}", headers=headers).get_json()
    assert got["type"] == "points.expiring" and got["customer_id"] == "c-2"
    assert got["data"]["points"] == 250
    [delivery] = got["deliveries"]
    assert delivery["status"] == "failed" and delivery["error"] == "550 no such user"


def test_one_shop_never_sees_another_shops_settings_or_messages(app, client, headers, shop, other_shop):
    other = admin_headers(app, other_shop)
    put(client, headers, {"language": "ru", "smtp_url": SMTP})
    uid = message(shop, "points.earned", "earn:1")
    assert client.get(URL, headers=other).get_json()["smtp_url"] is None
    assert client.get(URL, headers=other).get_json()["language"] == "en"
    assert client.get("/api/v1/messages", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/messages/{uid}", headers=other).status_code == 404
    assert client.get(f"/api/v1/messages/{uid}", headers=headers).status_code == 200
