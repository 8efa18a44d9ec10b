"""The SMS channel: planned like e-mail (consent, unsubscriptions, suppressed numbers) to the
shopper's phone, sent through the shop's gateway, held back through the shopper's quiet hours and
beyond their daily cap, and a number the gateway says is wrong is suppressed."""

from __future__ import annotations

import logging
from datetime import datetime

import requests

from plugin.config import load_settings
from plugin.core.crypto import Vault
from plugin.core.db import session
from plugin.core.kinds import DeliveryChannel, SuppressionReason
from plugin.core.models import Customer, Delivery, NotifySettings, OutboxMessage, Shop, Suppression
from plugin.core.status import DeliveryStatus
from plugin.notify import delivery, render
from plugin.notify import settings as notify_settings
from plugin.notify.planning import for_shoppers
from plugin.notify.sms import hours, segments
from plugin.notify.sms.providers import Provider, SmsError, provider

log = logging.getLogger(__name__)

MAX_SEGMENTS = 8  # SMS.ru refuses longer texts; a longer one is a template to fix, not to retry


class SmsChannel:
    name = DeliveryChannel.SMS

    def plan(self, shop: Shop, settings: notify_settings.Settings, messages: list[OutboxMessage],
             customers: dict[int, Customer]) -> list[dict]:
        return for_shoppers(self.name, shop, settings, messages, customers, lambda c: c.phone)

    def send_due(self, now: datetime, limit: int = 200) -> int:
        due = delivery.due(self.name, now, limit)
        if not due:
            return 0
        with session(), requests.Session() as http:
            return _Sender(now, http).send(due)


class _Sender:
    """One round of sending: each shop's settings and gateway, each shopper's count for the day, once."""

    def __init__(self, now: datetime, http: requests.Session):
        self.now, self.http = now, http
        self.shops: dict[int, tuple[Shop, notify_settings.Settings, Provider | SmsError]] = {}
        self.sent_today: dict[int, int] = {}

    def send(self, deliveries: list[Delivery]) -> int:
        messages = {m.id: m for m in OutboxMessage.select().where(
            OutboxMessage.id.in_([d.message_id for d in deliveries]))}
        customers = {c.id: c for c in Customer.select().where(
            Customer.id.in_([d.customer_id for d in deliveries if d.customer_id]))}
        return sum(self._one(d, messages[d.message_id], customers.get(d.customer_id)) for d in deliveries)

    def _one(self, d: Delivery, message: OutboxMessage, customer: Customer | None) -> bool:
        shop, settings, gateway = self._shop(d.shop_id)
        if customer is None or customer.redacted_at:
            delivery.failed(d, "the shopper is gone", self.now, permanent=True)
            return False
        tz = hours.zone(customer.time_zone, settings.time_zone)
        later = (hours.next_allowed(self.now, tz, settings.quiet_hours)
                 or self._over_cap(customer, tz, settings))
        if later:
            Delivery.update(next_attempt_at=later).where(Delivery.id == d.id).execute()
            return False
        try:
            if isinstance(gateway, SmsError):
                raise gateway
            text = render.sms_text(shop, settings, message, customer)
            parts = segments.count(text)
            if parts > MAX_SEGMENTS:
                raise SmsError(f"text too long: {parts} segments (at most {MAX_SEGMENTS})", permanent=True)
            gateway_id = gateway.send(d.target, text)
        except SmsError as error:
            self._failed(d, error)
            return False
        except requests.RequestException as error:
            self._failed(d, SmsError(f"gateway unreachable: {error}"))
            return False
        log.info("sms %s sent to customer %s: %s segment(s), gateway id %s", message.uid, customer.id, parts,
                 gateway_id)
        delivery.succeeded(d, self.now)
        self.sent_today[customer.id] = self.sent_today.get(customer.id, 0) + 1
        return True

    def _shop(self, shop_id: int):
        if shop_id not in self.shops:
            shop = Shop.get_by_id(shop_id)
            settings = notify_settings.load(shop)
            try:
                gateway = provider(settings, _secret(shop_id), self.http)
            except (SmsError, ValueError) as error:
                gateway = error if isinstance(error, SmsError) else SmsError(str(error))
            self.shops[shop_id] = (shop, settings, gateway)
        return self.shops[shop_id]

    def _over_cap(self, customer: Customer, tz, settings: notify_settings.Settings) -> datetime | None:
        """None while the shopper has texts left today; else when their next day's sending starts."""
        start, end = hours.day_bounds(self.now, tz)
        if customer.id not in self.sent_today:
            self.sent_today[customer.id] = Delivery.select().where(
                (Delivery.shop == customer.shop_id) & (Delivery.customer == customer.id)
                & (Delivery.channel == DeliveryChannel.SMS) & (Delivery.status == DeliveryStatus.SENT)
                & (Delivery.sent_at >= start) & (Delivery.sent_at < end)).count()
        if self.sent_today[customer.id] < settings.sms_daily_cap:
            return None
        return hours.next_allowed(end, tz, settings.quiet_hours) or end

    def _failed(self, d: Delivery, error: SmsError) -> None:
        """Record the attempt; a number the gateway calls wrong gets nothing more (suppressed)."""
        delivery.failed(d, str(error), self.now, code=error.code, permanent=error.permanent)
        if error.recipient:
            Suppression.insert(shop=d.shop_id, channel=DeliveryChannel.SMS, address=d.target,
                               reason=SuppressionReason.BOUNCE, detail=str(error)[:500]
                               ).on_conflict_ignore().execute()


def _secret(shop_id: int) -> str | None:
    """The gateway's key or password, decrypted (ValueError when LOYALTY_SECRET_KEY changed)."""
    row = NotifySettings.get_or_none(NotifySettings.shop == shop_id)
    if row is None or not row.sms_secret:
        return None
    return Vault(load_settings().secret_key).decrypt(row.sms_secret)


SMS = SmsChannel()
