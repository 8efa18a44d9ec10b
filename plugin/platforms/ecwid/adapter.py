"""Ecwid on the platform contract. Ecwid signs only a webhook's id and time, so a webhook names what
changed and ``prepare`` reads it from the API: an order (its unread snapshot completed with the
order as the API states it), a customer (the sign-up), an uninstall (believed only when the API
refuses the store's token, so a forged body cannot uninstall a store). Redemption is a single-use
ABS coupon per hold, deleted on release. Reconciliation lists orders by ``updatedFrom``: a webhook
the plugin could not read is retried by the plugin anyway, and this catches what Ecwid gave up
delivering (after a day or two of retries) or never sent. Past orders for the simulator: ecwid.history."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date

from plugin.core.kinds import EventKind
from plugin.core.models import Event, Hold, Shop
from plugin.core.status import EventStatus
from plugin.customers import currency
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access, Changes, Delivery, Platform, Prepared
from plugin.platforms.ecwid import NOT_CONFIGURED, history, limiter
from plugin.platforms.ecwid.client import Conflict, EcwidClient, Gone, Refused
from webhooks import stored
from webhooks.ecwid import payloads
from webhooks.ecwid import topics as inbound
from webhooks.readers import Unreadable

log = logging.getLogger(__name__)

PLATFORM = "ecwid"
PER_PAGE = 100  # Ecwid's largest page
MAX_PAGES = 20  # per reconciliation pass; a pass that stops short keeps its watermark


def _raw(body: dict) -> bytes:
    """JSON in ASCII: text the API answered with a lone surrogate stays an escape (the mapper then
    finds it and says so, as for a webhook)."""
    return json.dumps(body, default=str).encode("ascii")


def _delivery(topic: str, body: dict) -> Delivery:
    """A delivery of what the API answered, keyed by its topic's reader (Unreadable: the API's
    answer is not one the plugin can key, which the caller notes)."""
    raw = _raw(body)
    key = inbound.TOPICS[topic].read(json.loads(raw))
    return Delivery(topic, raw, key.business_key)


def _object(body, what: str) -> dict:
    if not isinstance(body, dict):
        raise PlatformError(f"Ecwid answered {what} without an object")
    return body


class Ecwid(Platform):
    name = PLATFORM
    reconciles = True
    prepares = True
    lists_orders = True

    def client(self, shop: Shop, access: Access) -> EcwidClient:
        settings = access.settings
        if not (settings.ecwid_client_id and settings.ecwid_client_secret):
            raise PlatformError(NOT_CONFIGURED)
        token = access.vault.decrypt(shop.access_token) if shop.access_token else None
        if not token:
            raise PlatformError(f"no Ecwid token for store {shop.domain}; install the app again")
        return EcwidClient(shop.domain, token, limiter.for_url(settings.redis_url))

    def install(self, shop: Shop, access: Access) -> None:
        """Read the store's profile: its currency (points are in it) and its name."""
        profile = _object(self.client(shop, access).get("/profile"), "the profile")
        units = profile.get("formatsAndUnits") if isinstance(profile.get("formatsAndUnits"), dict) else {}
        code = str(units.get("currency") or "").strip().upper()
        try:
            currency.set_currency(shop, code)
        except currency.ShopError as exc:
            raise PlatformError(f"Ecwid store {shop.domain}: {exc}") from None
        settings = profile.get("settings") if isinstance(profile.get("settings"), dict) else {}
        name = settings.get("storeName")
        if isinstance(name, str) and name.strip():
            Shop.update(name=name.strip()[:255]).where(Shop.id == shop.id).execute()

    # --- notices -> what they name, read from the API ----------------------------------------------

    def prepare(self, shop: Shop, events: list[Event], access: Access) -> Prepared:
        """Each distinct entity the batch's events name read once: an order's snapshots completed
        in place, a customer or an uninstall stored as a delivery (its notices done). What was read
        before a failure is kept; the rest stay unread and are retried; a failure before anything
        was read raises, so the shop backs off."""
        named: dict[tuple[str, str], list[Event]] = {}
        for event in events:
            if _unread(event):
                named.setdefault((event.payload["entity"], str(event.payload.get("id"))), []).append(event)
        if not named:
            return Prepared()
        client = self.client(shop, access)
        read = Prepared()
        for (entity, entity_id), notices in named.items():
            try:
                delivery, payload, note = self._read(shop, client, entity, entity_id, notices)
            except PlatformError as exc:
                if not (read.payloads or read.done):
                    raise
                log.info("Ecwid store %s: the rest of the batch waits: %s", shop.domain, exc.message)
                break
            if delivery is not None:
                read.deliveries.append(delivery)
            for event in notices:
                if payload is not None:
                    read.payloads[event.id] = payload
                else:
                    read.done[event.id] = note
        return read

    def _read(self, shop: Shop, client: EcwidClient, entity: str, entity_id: str,
              notices: list[Event]) -> tuple[Delivery | None, dict | None, str]:
        """(a delivery to store, the completed payload of the notices, or the note they are done with)."""
        try:
            if entity == "order":
                return self._order(shop, client, entity_id, notices)
            if entity == "customer":
                try:
                    body = _object(client.get(f"/customers/{entity_id}"), "a customer")
                except Gone:
                    return None, None, f"Ecwid has no customer {entity_id}"
                return _delivery(inbound.CUSTOMER, body), None, f"customer {entity_id} read"
            if entity == "application":
                return self._uninstalled(shop, client)
        except Unreadable as exc:
            return None, None, f"Ecwid's answer for {entity} {entity_id} cannot be stored: {exc}"
        return None, None, f"nothing to read for {entity!r}"

    def _order(self, shop: Shop, client: EcwidClient, order_id: str,
               notices: list[Event]) -> tuple[Delivery | None, dict | None, str]:
        try:
            order = _object(client.get(f"/orders/{order_id}"), "an order")
        except Gone:
            if any(event.payload.get("event") == "order.deleted" for event in notices):
                return None, payloads.gone(order_id, _last(shop, order_id)), ""
            return None, None, f"Ecwid has no order {order_id}"
        fetched = {"currency": shop.currency, "order": order}
        read = stored.mapped(PLATFORM, inbound.ORDER, _raw(fetched).decode("ascii"))
        if read.status == EventStatus.PENDING:
            return None, read.payload, ""
        delivery = _delivery(inbound.ORDER, fetched)  # stored as read, invalid with why: the owner sees it
        return delivery, None, f"order {order_id} read; it does not fit, stored as {delivery.key}"

    def _uninstalled(self, shop: Shop, client: EcwidClient) -> tuple[Delivery | None, None, str]:
        """Believed only when Ecwid refuses the store's token: anyone holding one signed webhook
        could post a body naming any store."""
        try:
            client.get("/profile")
        except Refused:
            stamp = shop.installed_at.strftime("%Y%m%dT%H%M%S")
            return (_delivery(inbound.UNINSTALLED, {"storeId": int(shop.domain), "installed": stamp}), None,
                    "uninstall confirmed: Ecwid refuses the store's token")
        return None, None, "not uninstalled: Ecwid still accepts the store's token"

    # --- redemption ------------------------------------------------------------------------------

    def make_code(self, shop: Shop, hold: Hold, customer_id: str, access: Access) -> str | None:
        """A single-use coupon of the hold's money value, expiring with the hold; its Ecwid id."""
        if not shop.access_token:  # registered by hand, never installed: the plugin's own code
            return None
        client = self.client(shop, access)
        expires = hold.expires_at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S +0000")
        coupon = {"name": f"Loyalty points {hold.code}", "code": hold.code, "discountType": "ABS",
                  "discount": hold.amount, "status": "ACTIVE", "usesLimit": "SINGLE",
                  "expirationDate": expires}
        try:
            made = _object(client.post("/discount_coupons", coupon), "the new coupon")
        except Conflict:  # made by an earlier try whose answer was lost: find it by its code
            found = _object(client.get("/discount_coupons", {"code": hold.code}), "the coupon search")
            items = [item for item in found.get("items") or [] if isinstance(item, dict)
                     and str(item.get("code")) == hold.code]
            if not items:
                raise PlatformError(f"Ecwid says coupon {hold.code} exists but does not list it") from None
            made = items[0]
        coupon_id = made.get("id")
        if isinstance(coupon_id, bool) or not isinstance(coupon_id, int | str) or not str(coupon_id).strip():
            raise PlatformError("Ecwid answered the new coupon without its id")
        return str(coupon_id).strip()

    def kill_code(self, shop: Shop, hold: Hold, access: Access) -> None:
        if not hold.platform_discount_id or not shop.access_token:
            return
        try:
            self.client(shop, access).delete(f"/discount_coupons/{hold.platform_discount_id}")
        except Gone:
            pass  # deleted already: as dead as we want it

    # --- reconciliation --------------------------------------------------------------------------

    def past_orders(self, shop: Shop, first: date, last: date, access: Access) -> Iterator[list]:
        return history.past_orders(self.client(shop, access), shop.currency, first, last)

    def orders_since(self, shop: Shop, watermark: str | None, access: Access) -> Changes:
        """Orders with ``updatedFrom`` the watermark (unix seconds; the install at first), page by
        page; the watermark moves to the newest version read only when every page was read."""
        since = int(watermark) if watermark and watermark.isdigit() else int(
            shop.installed_at.replace(tzinfo=UTC).timestamp())
        client, deliveries, newest = self.client(shop, access), [], since
        for page in range(MAX_PAGES):
            found = _object(client.get("/orders", {"updatedFrom": since, "offset": page * PER_PAGE,
                                                   "limit": PER_PAGE}), "the order search")
            items = [item for item in found.get("items") or [] if isinstance(item, dict)]
            for order in items:
                try:
                    deliveries.append(_delivery(inbound.ORDER, {"currency": shop.currency, "order": order}))
                except Unreadable as exc:
                    log.warning("Ecwid store %s: an order of the search cannot be stored: %s",
                                shop.domain, exc)
                    continue
                stamp = order.get("updateTimestamp")
                if isinstance(stamp, int) and not isinstance(stamp, bool):
                    newest = max(newest, stamp)
            if len(items) < PER_PAGE:
                return Changes(deliveries, str(newest))
        return Changes(deliveries, watermark)


def _unread(event: Event) -> bool:
    """An event naming what the API must be asked: a notice, or an order's snapshot still unread."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    return "entity" in payload and (event.kind == EventKind.NOTICE or (
        event.kind == EventKind.ORDER_SNAPSHOT and bool(payload.get("unread"))))


def _last(shop: Shop, order_id: str) -> dict | None:
    """The latest snapshot of the order the plugin read from the API (a webhook's own payload is
    only ever unread, or what prepare put there)."""
    for event in (Event.select(Event.payload).where(
            (Event.shop == shop.id) & (Event.kind == EventKind.ORDER_SNAPSHOT) & (Event.subject == order_id)
            & Event.payload.is_null(False)).order_by(Event.id.desc()).limit(50)):
        if isinstance(event.payload, dict) and "order" in event.payload and not event.payload.get("unread"):
            return event.payload
    return None
