"""The e-mail channel: one delivery per shopper message the shop turned on, to the shopper's
lower-cased address, while the shop has a mail server; sent over SMTP, one connection per shop and
batch. A 4xx is tried again later; a 5xx for the recipient is final and suppresses the address."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

from plugin.core import clock
from plugin.core.errors import LoyaltyError
from plugin.core.kinds import DeliveryChannel, SuppressionReason
from plugin.core.models import Customer, Delivery, OutboxMessage, Shop
from plugin.notify import delivery, outbox, planning, render, suppressions
from plugin.notify import settings as notify_settings
from plugin.notify.email import transport, unsubscribe
from plugin.notify.types import SAMPLES


def address_of(customer: Customer) -> str | None:
    email = (customer.email or "").strip().lower()
    return email if "@" in email else None


def compose(shop: Shop, settings: notify_settings.Settings, message, customer: Customer | None, to: str,
            server: transport.Server, *, draft: render.Draft | None = None, lang: str | None = None,
            own: dict | None = None) -> EmailMessage:
    """The e-mail of one message to one shopper, with its one-click unsubscribe headers; ``message``
    has ``uid``, ``type`` and ``data`` (a test send passes a sample). Its Message-ID is the
    message's uid, so a retry after a lost answer is recognisably the same e-mail."""
    env = transport.environment()
    link = unsubscribe.url(shop.id, customer.id, DeliveryChannel.EMAIL, message.type) if customer else None
    words = render.email(shop, settings, message, customer, unsubscribe_url=link, draft=draft, lang=lang,
                         own=own)
    mail = EmailMessage()
    mail["From"] = transport.sender(shop, settings.mail_from, server)
    mail["To"] = to
    mail["Subject"] = words.subject
    mail["Date"] = format_datetime(clock.now().replace(tzinfo=UTC))
    mail["Message-ID"] = f"<{message.uid}@{urlsplit(env.public_url).hostname}>"
    if link:
        mail["List-Unsubscribe"] = f"<{link}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(words.text)
    mail.add_alternative(words.html, subtype="html")
    return mail


class NoMailServer(LoyaltyError):
    status, code = 409, "no_mail_server"


def send_test(shop: Shop, type_name: str, lang: str, to: str, draft: render.Draft | None = None) -> None:
    """Send one e-mail of a type with its sample data to ``to`` now, outside the outbox (the owner's
    "send a test to me"); the mail server's refusal is raised for the owner to read."""
    server = transport.server_of(shop)
    if server is None:
        raise NoMailServer("no mail server: set LOYALTY_SMTP_URL or the shop's own server")
    sample = SimpleNamespace(uid=outbox.new_uid(), type=type_name, data=SAMPLES[type_name])
    mail = compose(shop, notify_settings.load(shop), sample, None, to, server, draft=draft, lang=lang)
    with server.connect() as smtp:
        smtp.send_message(mail)


class EmailChannel:
    name = DeliveryChannel.EMAIL

    def plan(self, shop: Shop, settings: notify_settings.Settings, messages: list[OutboxMessage],
             customers: dict[int, Customer]) -> list[dict]:
        if transport.server_of(shop) is None:
            return []  # no mail server: nothing to plan, nothing shown as failed
        return planning.for_shoppers(self.name, shop, settings, messages, customers, address_of)

    def send_due(self, now: datetime, limit: int = 200) -> int:
        rows = delivery.due(self.name, now, limit)
        sent = 0
        for shop_id in dict.fromkeys(d.shop_id for d in rows):
            sent += _send_shop(Shop.get_by_id(shop_id), [d for d in rows if d.shop_id == shop_id], now)
        return sent


def _send_shop(shop: Shop, rows: list[Delivery], now: datetime) -> int:
    settings = notify_settings.load(shop)
    server = transport.server_of(shop)
    if server is None:
        for d in rows:
            delivery.failed(d, "no mail server configured", now)
        return 0
    messages = {m.id: m for m in OutboxMessage.select().where(
        OutboxMessage.id.in_([d.message_id for d in rows]))}
    ids = [d.customer_id for d in rows if d.customer_id]
    customers = {c.id: c for c in Customer.select().where(Customer.id.in_(ids))} if ids else {}
    try:
        smtp = server.connect()
    except (OSError, smtplib.SMTPException) as exc:
        for d in rows:
            delivery.failed(d, f"cannot reach the mail server: {exc}", now)
        return 0
    sent, own = 0, render.owned(shop)
    with smtp:
        for d in rows:
            message, customer = messages[d.message_id], customers.get(d.customer_id)
            try:
                mail = compose(shop, settings, message, customer, d.target, server, own=own)
            except Exception as exc:  # a message its data cannot fill: it fails alone, the batch goes on
                delivery.failed(d, f"cannot render: {type(exc).__name__}: {exc}", now, permanent=True)
                continue
            sent += _send_one(smtp, shop, d, mail, now)
    return sent


def _send_one(smtp: smtplib.SMTP, shop: Shop, d: Delivery, mail: EmailMessage, now: datetime) -> int:
    try:
        smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        text = _text(reply)
        if code >= 500:
            suppressions.suppress(shop.id, DeliveryChannel.EMAIL, d.target, SuppressionReason.BOUNCE,
                                  f"{code} {text}")
        delivery.failed(d, f"{code} {text}", now, code=code, permanent=code >= 500)
        return 0
    except smtplib.SMTPResponseException as exc:  # the sender or the content refused: not the address
        delivery.failed(d, f"{exc.smtp_code} {_text(exc.smtp_error)}", now, code=exc.smtp_code,
                        permanent=exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPSenderRefused))
        return 0
    except (OSError, smtplib.SMTPException) as exc:
        delivery.failed(d, f"mail server: {exc}", now)
        return 0
    delivery.succeeded(d, now, code=250)
    return 1


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
