"""The notifications page and the message log in the dashboard: the form saves what the owner chose,
secrets never come back into the page, bad input names its field, and one shop's log stays its own."""

from __future__ import annotations

from plugin.core.db import session
from plugin.core.models import NotifySettings, Shop
from plugin.notify import owner_settings
from tests.helpers import csrf_of, sign_in
from tests.notify.messages import message

PAGE = "/admin/notifications"
SMTP = "smtp://mailer:s3cret@mail.example.com:587?starttls=1"


def form(page_html: str, **changes) -> dict:
    """The page's form as a browser would send it with defaults untouched, then ``changes``."""
    base = {"csrf_token": csrf_of(page_html), "language": "en", "time_zone": "UTC", "brand_colour": "#2f6f4f",
            "quiet_from": "21", "quiet_to": "9", "sms_daily_cap": "2", "tier_approach_percent": "10",
            "expiry_warning_days": "14", "email.points.earned": "on", "sms_method": "POST"}
    return {**base, **changes}


def stored(shop) -> dict:
    with session():
        return owner_settings.read(Shop.get_by_id(shop.id))


def test_the_page_shows_the_switches_in_russian(signed_in):
    html = signed_in.get(PAGE + "?lang=ru").get_data(as_text=True)
    assert "Уведомления" in html and "Начислены баллы" in html and "Тихие часы" in html
    assert 'name="email.points.earned" aria-label="Начислены баллы: E-mail" checked' in html
    assert 'name="sms.points.earned"' in html and 'name="email.redemption.committed"' not in html



def test_the_page_links_each_message_to_its_template_and_to_the_log_and_webhooks(signed_in):
    html = signed_in.get(PAGE).get_data(as_text=True)
    for kind in ("points.earned", "points.expiring", "birthday.granted"):
        assert f'href="/admin/notifications/templates/{kind}"' in html
        assert signed_in.get(f"/admin/notifications/templates/{kind}").status_code == 200
    for page in ("/admin/messages", "/admin/webhooks", "/admin/notifications/templates"):
        assert f'href="{page}"' in html


def test_saving_the_form_stores_the_choices_and_the_secret_encrypted(app, signed_in, shop):
    html = signed_in.get(PAGE).get_data(as_text=True)
    response = signed_in.post(PAGE, data=form(html, **{"sms.points.expiring": "on", "sms_provider": "smsru",
                                                       "sms_sender": "Shop", "sms_secret": "api-id",
                                                       "smtp_url": SMTP, "quiet_from": "22"}))
    assert response.status_code == 303, response.get_data(as_text=True)
    got = stored(shop)
    assert got["sms"]["points.expiring"] and got["email"]["points.earned"]
    assert not got["email"]["points.expiring"]  # unticked: off, though on by default
    assert got["sms_provider"] == "smsru" and got["sms_config"] == {"sender": "Shop"}
    assert got["quiet_hours"] == [22, 9] and got["smtp_url"] == "set" and got["sms_secret"] == "set"
    page = signed_in.get(PAGE).get_data(as_text=True)
    assert SMTP not in page and "api-id" not in page and "s3cret" not in page
    with session():
        row = NotifySettings.get(NotifySettings.shop == shop.id)
    assert app.extensions["loyalty"].vault.decrypt(row.sms_secret) == "api-id"


def test_an_empty_secret_keeps_it_and_remove_deletes_it(signed_in, shop):
    html = signed_in.get(PAGE).get_data(as_text=True)
    signed_in.post(PAGE, data=form(html, smtp_url=SMTP))
    signed_in.post(PAGE, data=form(html))
    assert stored(shop)["smtp_url"] == "set"
    signed_in.post(PAGE, data=form(html, smtp_url_remove="on"))
    assert stored(shop)["smtp_url"] is None


def test_bad_input_is_shown_by_field_and_nothing_is_saved(signed_in, shop):
    html = signed_in.get(PAGE).get_data(as_text=True)
    response = signed_in.post(PAGE, data=form(html, quiet_from="25", time_zone="Mars/Olympus",
                                              sms_provider="http", sms_url="https://sms.example.com/",
                                              smtp_url="http://nope"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("quiet_hours", "time_zone", "smtp_url", "sms_config-url"):
        assert f'id="{field}-error"' in page or f"<code>{field}</code>" in page
    assert stored(shop)["time_zone"] == "UTC" and stored(shop)["quiet_hours"] == [21, 9]


def test_the_gateway_settings_are_checked_against_the_gateway(signed_in, shop):
    html = signed_in.get(PAGE).get_data(as_text=True)
    response = signed_in.post(PAGE, data=form(html, sms_provider="http", sms_url="https://sms.example.com/"))
    assert response.status_code == 422 and 'id="sms_config-url-error"' in response.get_data(as_text=True)
    ok = signed_in.post(PAGE, data=form(html, sms_provider="http", sms_url="https://sms.example.com/?to={phone}",
                                        sms_body="{text}", sms_auth_header="Authorization"))
    assert ok.status_code == 303
    assert stored(shop)["sms_config"] == {"url": "https://sms.example.com/?to={phone}", "body": "{text}",
                                          "method": "POST", "auth_header": "Authorization"}


def test_the_log_finds_a_shoppers_messages_and_shows_a_failed_delivery(signed_in, shop):
    uid = message(shop, "points.expiring", "expiring:1", shopper="c-7", email="vera@example.com",
                  deliveries=(("email", "vera@example.com", "failed", "550 mailbox unavailable"),))
    other = message(shop, "points.earned", "earn:2", shopper="c-8")
    html = signed_in.get("/admin/messages?shopper=VERA@example.com&lang=ru").get_data(as_text=True)
    assert uid in html and other not in html
    assert "Баллы скоро сгорят" in html and "e-mail: не доставлено" in html
    detail = signed_in.get(f"/admin/messages/{uid}").get_data(as_text=True)
    assert "550 mailbox unavailable" in detail and "vera@example.com" in detail


def test_a_bad_day_in_the_search_is_a_422_page(signed_in):
    assert signed_in.get("/admin/messages?since=2026-13-01").status_code == 422


def test_another_shops_messages_are_not_listed_or_opened(app, client, shop, other_shop):
    uid = message(shop, "points.earned", "earn:1", email="ann@example.com")
    sign_in(app, client, other_shop)
    assert "ann@example.com" not in client.get("/admin/messages").get_data(as_text=True)
    assert client.get(f"/admin/messages/{uid}").status_code == 404
