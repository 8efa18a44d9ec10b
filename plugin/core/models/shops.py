"""Shops, their customers and access state: dashboard sessions, idempotency keys, periodic runs."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.models.base import BaseModel
from plugin.core.status import IdempotencyStatus


class Shop(BaseModel):
    """An installed store. Tokens are encrypted and keys derived with the secret key (plugin.core.crypto)."""

    platform = pw.CharField(max_length=32)
    domain = pw.CharField(max_length=255)
    name = pw.CharField(max_length=255, default="")
    currency = pw.CharField(max_length=3, default="USD")
    access_token = pw.TextField(null=True)
    token_expires_at = pw.DateTimeField(null=True)
    refresh_token = pw.TextField(null=True)
    refresh_token_expires_at = pw.DateTimeField(null=True)
    scopes = pw.TextField(default="")
    own_webhook_secret = pw.BooleanField(default=False)  # False: the platform app's secret signs
    key_version = pw.IntegerField(default=1)  # bump to rotate the shop's derived API key
    active = pw.BooleanField(default=True)
    installed_at = pw.DateTimeField(default=clock.now)
    uninstalled_at = pw.DateTimeField(null=True)
    platform_shop_id = pw.CharField(max_length=64, null=True)  # the platform's own id (InSales' insales_id)
    reconciled_to = pw.TextField(null=True)  # where the next reconciliation pass starts (platform's text)
    #: The platform's install work (webhooks, discount, currency) has not succeeded yet: the periodic
    #: reconciliation asks again, so a failure outlives neither RQ's retries nor the embedded default.
    install_pending = pw.BooleanField(default=False)

    class Meta:
        indexes = ((("platform", "domain"), True),)


class Customer(BaseModel):
    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    platform_id = pw.CharField(max_length=64)
    email = pw.CharField(max_length=320, null=True)
    first_name = pw.CharField(max_length=255, null=True)
    last_name = pw.CharField(max_length=255, null=True)
    birthday = pw.DateField(null=True)
    birthday_set_at = pw.DateTimeField(null=True)  # a birthday set < 30 days ago earns nothing yet
    lifetime_earned = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)
    redacted_at = pw.DateTimeField(null=True)  # personal data removed (plugin.privacy); points kept
    phone = pw.CharField(max_length=32, null=True)  # E.164 digits, for SMS
    locale = pw.CharField(max_length=8, null=True)  # the shopper's language; none: the shop's
    time_zone = pw.CharField(max_length=64, null=True)  # IANA name; none: the shop's
    # Marketing messages need recorded consent (38-FZ art. 18): when and where it was given.
    marketing_consent_at = pw.DateTimeField(null=True)
    marketing_consent_source = pw.CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("shop", "platform_id"), True),)


class DashboardSession(BaseModel):
    """A signed-in dashboard session. The cookie carries only its random id (the row keeps a
    hash of it), so signing out deletes the row and a copied cookie opens nothing any more."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    id_hash = pw.CharField(max_length=64, unique=True)
    actor = pw.CharField(max_length=255)
    via = pw.CharField(max_length=16)  # SessionVia
    key_version = pw.IntegerField()  # an api_key session ends when the shop's key is rotated
    installed_at = pw.DateTimeField()  # the shop's install it was opened in: a reinstall ends it
    created_at = pw.DateTimeField(default=clock.now)
    expires_at = pw.DateTimeField()

    class Meta:
        table_name = "dashboard_session"
        indexes = ((("shop", "expires_at"), False),)


class IdempotentRequest(BaseModel):
    """A client's Idempotency-Key: claimed before the work, then the answer every retry gets (24 h)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE", index=False)
    scope = pw.CharField(max_length=255)  # the endpoint, and the shopper for widget calls
    key = pw.CharField(max_length=255)
    fingerprint = pw.CharField(max_length=64)  # sha256 of method, path and body
    status = pw.CharField(max_length=16, default=IdempotencyStatus.IN_PROGRESS)
    response_status = pw.IntegerField(null=True)
    response_body = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "idempotent_request"
        indexes = ((("shop", "scope", "key"), True), (("created_at",), False))


class PeriodicRun(BaseModel):
    """When each periodic job last started (plugin.pipeline.scheduler), so the in-process scheduler of
    several web processes and ``loyalty run-due`` from system cron run it once per interval.
    The one table that belongs to no shop: a periodic job covers every shop."""

    name = pw.CharField(max_length=200, primary_key=True)  # module.function
    last_run_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "periodic_run"
