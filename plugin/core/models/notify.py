"""What the plugin tells shoppers and other systems (plugin.notify): the outbox of outbound events,
one delivery per message and destination, webhook subscriptions, the shop's notification settings
and templates, and the addresses and shoppers that must not be written to."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField
from plugin.core.models.base import BaseModel
from plugin.core.models.shops import Customer, Shop
from plugin.core.status import DeliveryStatus, SubscriptionStatus


class OutboxMessage(BaseModel):
    """An outbound event, written in the transaction of the fact it tells (once per shop and key),
    so a rolled-back fact has no message and a committed one cannot lose it. ``uid`` is the stable
    id every channel sends it under (the Standard Webhooks ``webhook-id``)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    uid = pw.CharField(max_length=40, unique=True)  # "msg_" + 32 hex
    type = pw.CharField(max_length=64)  # plugin.notify.types
    key = pw.CharField(max_length=255)  # the fact's own key: unique per shop
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL", index=False)
    data = JSONField()
    created_at = pw.DateTimeField(default=clock.now)
    dispatched_at = pw.DateTimeField(null=True)  # fanned out into deliveries (plugin.notify.dispatch)

    class Meta:
        table_name = "outbox_message"
        indexes = ((("shop", "key"), True), (("dispatched_at", "id"), False), (("shop", "created_at"), False),
                   (("customer", "id"), False))  # a shopper's messages: the log's search, redaction


class WebhookSubscription(BaseModel):
    """A URL the shop's own systems (CRM, e-mail service, bot) receive events at, signed with its secret."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    uid = pw.CharField(max_length=40, unique=True)  # "sub_" + 24 hex: the id the API shows
    url = pw.CharField(max_length=2048)
    events = JSONField()  # message types; ["*"] for all
    secret = pw.TextField()  # the whsec_ secret, encrypted (plugin.core.crypto.Vault)
    status = pw.CharField(max_length=16, default=SubscriptionStatus.ACTIVE)
    failing_since = pw.DateTimeField(null=True)  # first failure after the last success
    paused_at = pw.DateTimeField(null=True)
    idempotency_key = pw.CharField(max_length=128, null=True)  # the creating call's: a retry makes none
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "webhook_subscription"
        indexes = ((("shop", "status"), False), (("shop", "idempotency_key"), True))


class Delivery(BaseModel):
    """One message to one destination on one channel: an e-mail address, a phone number or a
    webhook subscription. Unique per (message, channel, target), so nothing is sent twice."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    message = pw.ForeignKeyField(OutboxMessage, on_delete="CASCADE", index=False)
    channel = pw.CharField(max_length=16)  # DeliveryChannel
    target = pw.CharField(max_length=320)  # address, phone, or the subscription's uid
    subscription = pw.ForeignKeyField(WebhookSubscription, null=True, on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    status = pw.CharField(max_length=16, default=DeliveryStatus.PENDING)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=clock.now)
    last_attempt_at = pw.DateTimeField(null=True)
    response_code = pw.IntegerField(null=True)  # HTTP status, SMTP reply code
    error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("message", "channel", "target"), True),
                   (("channel", "status", "next_attempt_at"), False),
                   (("shop", "created_at"), False), (("subscription", "status"), False))


class NotifySettings(BaseModel):
    """A shop's notification settings; a shop without a row has the defaults (plugin.notify.settings)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", unique=True)
    data = JSONField()  # see plugin.notify.settings.Settings
    smtp_url = pw.TextField(null=True)  # the shop's own mail server, encrypted
    sms_secret = pw.TextField(null=True)  # the SMS gateway's key or password, encrypted
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "notify_settings"


class MessageTemplate(BaseModel):
    """The owner's own wording of one message on one channel in one language (Jinja, sandboxed)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    type = pw.CharField(max_length=64)
    channel = pw.CharField(max_length=16)
    lang = pw.CharField(max_length=8)
    subject = pw.TextField(default="")
    body = pw.TextField()  # text for SMS; the e-mail's body (HTML made from it)
    updated_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "message_template"
        indexes = ((("shop", "type", "channel", "lang"), True),)


class Suppression(BaseModel):
    """An address nothing more is sent to on a channel: it bounced, complained or asked by hand."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    channel = pw.CharField(max_length=16)
    address = pw.CharField(max_length=320)  # lower-cased e-mail, or a phone in digits
    reason = pw.CharField(max_length=32)  # SuppressionReason
    detail = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("shop", "channel", "address"), True),)


class Unsubscription(BaseModel):
    """A shopper who asked not to get one kind of message (a type, or "*" for all) on a channel."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    channel = pw.CharField(max_length=16)
    type = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "channel", "type"), True),)
