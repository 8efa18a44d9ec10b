"""The template editor: the default wording to start from, live preview, save, reset, a broken
template refused with the field named, and "send a test to me" read from a real SMTP server."""

from __future__ import annotations

from plugin.core.db import session
from plugin.core.models import Customer, MessageTemplate
from plugin.notify import dispatch, outbox
from plugin.notify.types import POINTS_EARNED, SAMPLES
from tests.helpers import csrf_of, sign_in

PAGE = "/admin/notifications/templates/points.earned"


def form(client, page: str = PAGE + "?channel=email&language=ru", **data) -> dict:
    token = csrf_of(client.get(page).get_data(as_text=True))
    return {"csrf_token": token, "channel": "email", "language": "ru", **data}


def test_the_editor_starts_from_the_default_and_previews_it(app, client, shop):
    sign_in(app, client, shop)
    page = client.get(PAGE + "?channel=email&language=ru&lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Вам начислено {{ points(data.points) }}" in html  # the default wording, to edit
    assert "Вам начислено 120 баллов" in html  # its preview from the sample data
    assert client.get("/admin/notifications/templates").status_code == 200
    sms = client.get(PAGE.replace("earned", "expiring") + "?channel=sms&language=ru").get_data(as_text=True)
    assert "сгорит 250 баллов" in sms and 'data-template="{n} characters"' in sms  # the page is in English


def test_live_preview_renders_the_draft_with_plurals_and_names_a_broken_one(app, client, shop):
    sign_in(app, client, shop)
    draft = form(client, subject="Плюс {{ points(1) }} и {{ points(3) }}",
                 body="Итого {{ points(data.balance) }}")
    answer = client.post(PAGE + "/preview", data=draft)
    assert answer.json["subject"] == "Плюс 1 балл и 3 балла" and "Итого 860 баллов" in answer.json["text"]
    broken = client.post(PAGE + "/preview", data=form(client, subject="ok", body="{% if %}"))
    assert broken.status_code == 200 and broken.json["error"].startswith("body: line 1")
    sms = client.post(PAGE + "/preview", data=form(client, channel="sms", body="{{ shop }}: {{ points(2) }}"))
    assert sms.json["text"].endswith(": 2 балла")


def test_the_sandbox_keeps_a_template_away_from_python(app, client, shop):
    sign_in(app, client, shop)
    answer = client.post(PAGE + "/preview", data=form(
        client, subject="x", body="{{ points.__globals__ }}{{ ''.__class__.__mro__[1].__subclasses__() }}"))
    assert answer.json["error"] and "subclasses" not in (answer.json.get("text") or "")


def test_saved_wording_is_what_shoppers_get_and_reset_brings_the_default_back(app, client, shop, mail_sink):
    sign_in(app, client, shop)
    saved = client.post(PAGE, data=form(client, action="save", subject="Ура! {{ points(data.points) }}",
                                        body="Баланс: {{ points(data.balance) }}"))
    assert saved.status_code == 303
    with session():
        ivan = Customer.create(shop=shop.id, platform_id="9", email="ivan@example.com", locale="ru")
        data = {**SAMPLES[POINTS_EARNED], "points": 2}
        outbox.record(shop.id, POINTS_EARNED, "lot-1", data, customer_id=ivan.id)
    dispatch.dispatch()
    with session():
        dispatch.send_all()
    [mail] = mail_sink.wait(1)
    assert mail["Subject"] == "Ура! 2 балла"
    assert "Баланс: 860 баллов" in mail.get_body(("plain",)).get_content()
    reset = client.post(PAGE, data=form(client, action="reset"))
    assert reset.status_code == 303
    with session():
        assert MessageTemplate.select().count() == 0


def test_a_broken_template_is_not_saved_and_the_field_is_named(app, client, shop):
    sign_in(app, client, shop)
    answer = client.post(PAGE, data=form(client, action="save", subject="{{ oops", body="fine"))
    assert answer.status_code == 422 and 'id="subject-error"' in answer.get_data(as_text=True)
    with session():
        assert MessageTemplate.select().count() == 0


def test_send_a_test_to_me(app, client, shop, mail_sink):
    sign_in(app, client, shop)
    answer = client.post(PAGE, data=form(client, action="test", test_to="owner@shop.example",
                                         subject="Тест {{ points(data.points) }}", body="{{ points(5) }}"))
    assert answer.status_code == 303
    [mail] = mail_sink.wait(1)
    assert mail["To"] == "owner@shop.example" and mail["Subject"] == "Тест 120 баллов"
    assert "List-Unsubscribe" not in mail  # nobody to unsubscribe
    bad = client.post(PAGE, data=form(client, action="test", test_to="nobody"))
    assert bad.status_code == 400 and 'id="test_to-error"' in bad.get_data(as_text=True)


def test_without_a_mail_server_the_test_send_says_so(app, client, shop):
    sign_in(app, client, shop)
    data = form(client, action="test", test_to="owner@shop.example", subject="a", body="b")
    answer = client.post(PAGE, data=data)
    assert answer.status_code == 409 and "LOYALTY_SMTP_URL" in answer.get_data(as_text=True)


def test_unknown_types_channels_and_languages_are_404_and_the_page_needs_a_session(app, client, shop):
    assert client.get(PAGE).status_code in (302, 303, 401)
    sign_in(app, client, shop)
    assert client.get("/admin/notifications/templates/nope").status_code == 404
    assert client.get("/admin/notifications/templates/redemption.committed").status_code == 404
    assert client.get(PAGE + "?channel=fax").status_code == 404
    assert client.get(PAGE + "?language=de").status_code == 404
    assert client.post(PAGE, data={"action": "save", "body": "x"}).status_code == 403  # no CSRF token
