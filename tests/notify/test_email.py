"""Shoppers' e-mail, read from a real SMTP server (aiosmtpd) the app sends to: Russian wording and
plurals for a Russian shopper, the unsubscribe link end to end, bounces, retries and suppression."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import pytest

from plugin.core import clock
from plugin.core.db import database, session
from plugin.core.models import Customer, Delivery, Suppression, Unsubscription
from plugin.core.status import DeliveryStatus
from plugin.notify import dispatch, outbox
from plugin.notify.types import POINTS_EARNED, POINTS_EXPIRED, SAMPLES


def shopper(shop, email: str = "Ivan.Petrov@Example.COM", locale: str | None = "ru",
            platform_id: str = "501") -> Customer:
    with session():
        return Customer.create(shop=shop.id, platform_id=platform_id, email=email, first_name="Иван",
                               locale=locale)


def earned(shop, customer: Customer, points: int, key: str, type_name: str = POINTS_EARNED) -> None:
    with session(), database.atomic():
        data = {**SAMPLES[type_name], "points": points, "balance": points * 2}
        outbox.record(shop.id, type_name, key, data, customer_id=customer.id)


def drain() -> int:
    dispatch.dispatch()
    with session():
        return dispatch.send_all(clock.now())


def deliveries() -> list[Delivery]:
    with session():
        return list(Delivery.select().order_by(Delivery.id))


def test_a_russian_shopper_gets_russian_subject_and_body_with_correct_plurals(shop, mail_sink):
    ivan = shopper(shop)
    for n in (1, 2, 5, 21, 112):
        earned(shop, ivan, n, f"lot-{n}")
    assert drain() == 5
    subjects = [m["Subject"] for m in mail_sink.wait(5)]
    assert subjects == ["Вам начислено 1 балл", "Вам начислено 2 балла", "Вам начислено 5 баллов",
                        "Вам начислено 21 балл", "Вам начислено 112 баллов"]
    mail = mail_sink.messages[2]
    text = mail.get_body(("plain",)).get_content()
    assert "Здравствуйте, Иван!" in text and "Теперь на вашем счёте 10 баллов." in text
    html = mail.get_body(("html",)).get_content()
    assert "Вам начислено 5 баллов" in html and 'lang="ru"' in html
    assert mail["To"] == "ivan.petrov@example.com"
    assert mail["From"].addresses[0].addr_spec == "club@shop.example"
    assert mail["From"].addresses[0].display_name == (shop.name or shop.domain)
    assert re.fullmatch(r"<msg_[0-9a-f]{32}@loyalty\.example\.test>", mail["Message-ID"])
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(d.status == DeliveryStatus.SENT and d.response_code == 250 for d in deliveries())


def test_an_english_shopper_gets_english(shop, mail_sink):
    earned(shop, shopper(shop, locale="en"), 1, "lot-1")
    drain()
    assert mail_sink.wait(1)[0]["Subject"] == "You earned 1 point"


def test_the_unsubscribe_link_works_end_to_end(shop, client, mail_sink):
    ivan = shopper(shop)
    earned(shop, ivan, 5, "lot-1")
    drain()
    link = mail_sink.wait(1)[0]["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://loyalty.example.test/unsubscribe/")
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200
    assert "Начисление баллов" in page.text and "<form method=\"post\">" in page.text
    with session():
        assert not Unsubscription.select().count()  # looking is not unsubscribing
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})  # what a mail client sends
    assert answer.status_code == 200 and "больше не будет" in answer.text
    with session():
        assert [(u.customer_id, u.channel, u.type) for u in Unsubscription.select()] == [
            (ivan.id, "email", POINTS_EARNED)]
    earned(shop, ivan, 7, "lot-2")
    earned(shop, ivan, 3, "lot-3", POINTS_EXPIRED)  # another kind still comes
    drain()
    received = mail_sink.wait(2)
    assert [m["Subject"] for m in received] == ["Вам начислено 5 баллов", "Сгорело 3 балла"]
    assert [(d.status, d.error) for d in deliveries()] == [
        (DeliveryStatus.SENT, None), (DeliveryStatus.SUPPRESSED, "unsubscribed"), (DeliveryStatus.SENT, None)]


@pytest.mark.parametrize("token", ["nonsense", "a.b", "MTox.AAAA", ""])
def test_a_forged_or_broken_link_unsubscribes_nobody(shop, client, token):
    shopper(shop)
    for method in (client.get, client.post):
        answer = method(f"/unsubscribe/{token}x")
        assert answer.status_code == 404 and "not valid" in answer.text
    with session():
        assert not Unsubscription.select().count()


def test_a_link_signed_for_one_shop_does_not_open_another(app, shop, client, mail_sink):
    from plugin.customers import shops
    from plugin.notify.email import unsubscribe

    with session():
        other, _ = shops.register("shopify", "other.myshopify.com", own_webhook_secret=False)
    ivan = shopper(shop)
    good = unsubscribe.token(shop.id, ivan.id, "email", POINTS_EARNED)
    payload, mac = good.split(".")
    forged = unsubscribe.token(other.id, ivan.id, "email", POINTS_EARNED)  # signed for the other shop
    assert client.post(f"/unsubscribe/{forged}").status_code == 404  # ivan is not the other shop's
    assert client.post(f"/unsubscribe/{payload}.{forged.split('.')[1]}").status_code == 404


def test_a_5xx_for_the_recipient_fails_for_good_and_suppresses_the_address(shop, mail_sink):
    gone = shopper(shop, email="gone@example.com")
    mail_sink.refuse["gone@example.com"] = "550 5.1.1 no such user"
    earned(shop, gone, 5, "lot-1")
    drain()
    [d] = deliveries()
    assert (d.status, d.response_code, d.attempts) == (DeliveryStatus.FAILED, 550, 1)
    assert "no such user" in d.error
    with session():
        assert [(s.address, s.reason) for s in Suppression.select()] == [("gone@example.com", "bounce")]
    earned(shop, gone, 6, "lot-2")
    drain()
    assert deliveries()[-1].status == DeliveryStatus.SUPPRESSED
    assert not mail_sink.messages


def test_a_4xx_is_tried_again_and_the_mail_arrives_once_the_server_takes_it(shop, mail_sink):
    start = clock.now()
    ivan = shopper(shop)
    mail_sink.refuse["ivan.petrov@example.com"] = "451 4.3.0 try again later"
    earned(shop, ivan, 5, "lot-1")
    drain()
    [d] = deliveries()
    assert (d.status, d.response_code, d.attempts) == (DeliveryStatus.PENDING, 451, 1)
    mail_sink.refuse.clear()
    clock.set_source(lambda: (start + timedelta(minutes=1)).replace(tzinfo=UTC))
    assert drain() == 1
    assert len(mail_sink.wait(1)) == 1
    with session():
        assert not Suppression.select().count()


def test_a_mail_server_that_is_down_loses_nothing(app, shop, mail_sink):
    ivan = shopper(shop)
    earned(shop, ivan, 5, "lot-1")
    mail_sink.stop()
    drain()
    [d] = deliveries()
    assert d.status == DeliveryStatus.PENDING and "cannot reach the mail server" in d.error


def test_no_mail_server_plans_no_email(shop):
    earned(shop, shopper(shop), 5, "lot-1")
    drain()
    assert deliveries() == []


def test_a_shopper_without_an_address_gets_no_row_and_marketing_needs_consent(shop, mail_sink):
    earned(shop, shopper(shop, email=None, platform_id="1"), 5, "lot-1")
    with session():
        from plugin.notify import settings as notify_settings
        notify_settings.save(shop, email={"campaign.started": True})
    earned(shop, shopper(shop, email="a@example.com", platform_id="2"), 0, "campaign-1", "campaign.started")
    drain()
    assert [(d.target, d.status, d.error) for d in deliveries()] == [
        ("a@example.com", DeliveryStatus.SUPPRESSED, "no marketing consent")]


def test_a_shop_with_its_own_mail_server_and_sender_sends_through_them(app, shop, mail_sink):
    from plugin.cli.mail_sink import Sink
    from plugin.core.models import NotifySettings
    from plugin.notify import settings as notify_settings

    own = Sink().start()
    try:
        vault = app.extensions["loyalty"].vault
        with session():
            notify_settings.save(shop, mail_from="Лавка <hello@lavka.example>")
            NotifySettings.update(smtp_url=vault.encrypt(own.url)).where(
                NotifySettings.shop == shop.id).execute()
        earned(shop, shopper(shop), 5, "lot-1")
        drain()
        [mail] = own.wait(1)
        assert str(mail["From"]) == "Лавка <hello@lavka.example>"
        assert mail_sink.messages == []  # nothing through the environment's server
    finally:
        own.stop()


def test_a_message_its_data_cannot_fill_fails_alone_and_the_others_go_out(shop, mail_sink):
    ivan = shopper(shop)
    with session(), database.atomic():
        outbox.record(shop.id, "points.expiring", "bad", {"points": 5, "lots": 7}, customer_id=ivan.id)
    earned(shop, ivan, 5, "lot-1")
    drain()
    bad, good = deliveries()
    assert bad.status == DeliveryStatus.FAILED and bad.error.startswith("cannot render: TypeError")
    assert good.status == DeliveryStatus.SENT and len(mail_sink.wait(1)) == 1


def test_the_page_also_unsubscribes_from_every_kind(shop, client, mail_sink):
    ivan = shopper(shop)
    earned(shop, ivan, 5, "lot-1")
    drain()
    path = urlsplit(mail_sink.wait(1)[0]["List-Unsubscribe"].strip("<>")).path
    assert "Отписаться от всех писем" in client.get(path).text
    answer = client.post(path, data={"scope": "*"})
    assert answer.status_code == 200 and "писем от" in answer.text
    with session():
        assert [u.type for u in Unsubscription.select()] == ["*"]
    earned(shop, ivan, 3, "lot-2", POINTS_EXPIRED)
    drain()
    assert deliveries()[-1].status == DeliveryStatus.SUPPRESSED and len(mail_sink.messages) == 1
