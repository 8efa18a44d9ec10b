"""WooCommerce on the platform contract: webhooks created over REST at install (each with its own
secret) and deleted at disconnect, the store's currency, a single-use coupon per hold, and the
reads a batch needs first (``prepare``): an order's refunds' lines, its products' categories; past
orders for the simulator (woocommerce.history)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from plugin.core import clock
from plugin.core.db import write_transaction
from plugin.core.kinds import EventKind
from plugin.core.models import Customer, Event, Hold, PlatformObject, Shop
from plugin.customers import currency
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access, Changes, Delivery, Platform, Prepared
from plugin.platforms.woocommerce import history, keys_of, products, refunds
from plugin.platforms.woocommerce.client import NotFound, WooClient
from webhooks.contract import Address
from webhooks.readers import Unreadable
from webhooks.woocommerce.topics import INBOUND, PLATFORM, WEBHOOK_KIND, snapshot_key, webhook_secret

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Loyalty: {topic}"
WEBHOOK_ACTIVE = "active"  # WooCommerce's status of a webhook that delivers
ORDER_TOPIC = "order.updated"  # what a reconciled order is stored as: its latest state
PER_PAGE = 100  # WooCommerce's largest page
MAX_PAGES = 20  # per reconciliation pass; the watermark keeps what was read, the next pass goes on
#: ``modified_after`` is exclusive and a second holds many orders: each pass starts a second early
#: (an order listed twice is a duplicate of its business key).
OVERLAP = timedelta(seconds=1)
GMT = "%Y-%m-%dT%H:%M:%S"
CURRENCY_SETTING = "/settings/general/woocommerce_currency"
CENT = Decimal("0.01")


def _objects(answer, what: str) -> list[dict]:
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise PlatformError(f"WooCommerce answered {what} without a list of objects")
    return answer


def _moment(value) -> str | None:
    """A WooCommerce GMT time as the watermark keeps it (to the second), None when it is not one."""
    try:
        return datetime.strptime(str(value)[:19], GMT).strftime(GMT) if value else None
    except ValueError:
        return None


def _remember(shop_id: int, kind: str, platform_id: str, data: dict) -> None:
    with write_transaction():
        PlatformObject.insert(shop=shop_id, kind=kind, platform_id=platform_id,
                              data=data).on_conflict_ignore().execute()


class WooCommerce(Platform):
    name = PLATFORM
    prepares = True
    #: WooCommerce never retries a failed delivery (it counts five failures, then disables the
    #: webhook), so a periodic pass lists the orders modified since the last one.
    reconciles = True
    lists_orders = True

    def client(self, shop: Shop, access: Access) -> WooClient:
        return WooClient(shop.domain, *keys_of(access.vault, shop.access_token, shop.domain))

    def install(self, shop: Shop, access: Access) -> None:
        """Create the webhooks the shop lacks (one per topic, its own secret), remember every one
        of ours, then take the store's currency."""
        client = self.client(shop, access)
        urls = INBOUND.addresses(Address.of(shop, access.settings.public_url, access.vault))
        have = {(hook.get("topic"), hook.get("delivery_url")): hook
                for hook in _objects(client.get("/webhooks", {"per_page": 100}), "webhooks")}
        for topic, url in urls.items():
            hook = have.get((topic, url))
            if hook is None:
                hook = client.post("/webhooks", {
                    "name": WEBHOOK_NAME.format(topic=topic), "topic": topic, "delivery_url": url,
                    "secret": webhook_secret(access.vault, shop.id, topic), "status": WEBHOOK_ACTIVE})
            if not isinstance(hook, dict) or hook.get("id") is None:
                raise PlatformError(f"{shop.domain} answered the {topic} webhook without an id")
            _remember(shop.id, WEBHOOK_KIND, str(hook["id"]), {"topic": topic})
        setting = client.get(CURRENCY_SETTING)
        code = str(setting.get("value") or "").strip().upper() if isinstance(setting, dict) else ""
        try:
            currency.set_currency(shop, code)
        except currency.ShopError as exc:
            raise PlatformError(f"{shop.domain}: {exc}") from None

    def uninstall(self, shop: Shop, access: Access) -> None:
        """Delete the webhooks the plugin created (one already gone is fine), then forget them."""
        client = self.client(shop, access)
        for row in PlatformObject.select().where((PlatformObject.shop == shop.id)
                                                 & (PlatformObject.kind == WEBHOOK_KIND)):
            try:
                client.delete(f"/webhooks/{row.platform_id}", {"force": "true"})
            except NotFound:
                pass
            PlatformObject.delete().where(PlatformObject.id == row.id).execute()

    def make_code(self, shop: Shop, hold: Hold, customer_id: str, access: Access) -> str | None:
        """A fixed-cart coupon of the hold's amount and code, usable once, by this shopper's
        e-mail when known, until the hold lapses (the release deletes it sooner)."""
        if not shop.access_token:
            return None
        customer = Customer.get_or_none((Customer.id == hold.customer_id) & (Customer.shop == shop.id))
        email = customer.email if customer is not None else None
        coupon = self.client(shop, access).post("/coupons", {
            "code": hold.code, "discount_type": "fixed_cart",
            "amount": str(Decimal(hold.amount).quantize(CENT)),
            "usage_limit": 1, "usage_limit_per_user": 1, "email_restrictions": [email] if email else [],
            "date_expires": clock.iso(hold.expires_at.replace(microsecond=0)), "individual_use": False,
            "description": f"Loyalty points {hold.code}"})
        if not isinstance(coupon, dict) or coupon.get("id") is None:
            raise PlatformError(f"{shop.domain} answered the coupon without an id")
        return str(coupon["id"])

    def kill_code(self, shop: Shop, hold: Hold, access: Access) -> None:
        if not hold.platform_discount_id or not shop.access_token:
            return
        try:
            self.client(shop, access).delete(f"/coupons/{hold.platform_discount_id}", {"force": "true"})
        except NotFound:
            pass

    def prepare(self, shop: Shop, events: list[Event], access: Access) -> Prepared:
        """Products the catalog lacks (one call; a failure leaves the lines without their facts,
        logged), then each unread snapshot's refunds (one call per order, each refund once; a
        failure raises, and the snapshot waits as Unread)."""
        snapshots = [e for e in events if e.kind == EventKind.ORDER_SNAPSHOT and isinstance(e.payload, dict)]
        if not snapshots:
            return Prepared()
        lines = [line for event in snapshots for line in event.payload["order"]["lines"]]
        wanted = products.unknown(shop.id, (line["product_id"] for line in lines if line.get("product_id")))
        if wanted and shop.access_token:  # a shop registered by hand has no keys: its lines go without
            try:
                products.read(self.client(shop, access), shop.id, wanted)
            except PlatformError as exc:
                log.warning("shop %s: %s products not read, their lines apply without categories: %s",
                            shop.id, len(wanted), exc.message)
        completed: dict[int, dict] = {}
        read_orders: dict[str, dict[str, dict]] = {}
        for event in snapshots:
            if not event.payload.get("unread"):
                continue
            order_id = event.payload["order"]["order_id"]
            ids = list(event.payload.get("refunds", {}).get("ids") or [])
            known = refunds.cached(shop.id, ids)
            missing = [refund_id for refund_id in ids if refund_id not in known]
            if missing:
                if order_id not in read_orders:
                    client = self.client(shop, access)
                    read_orders[order_id] = refunds.read(client, shop.id, order_id, missing)
                known.update({r: read_orders[order_id][r] for r in missing if r in read_orders[order_id]})
            if all(refund_id in known for refund_id in ids):
                completed[event.id] = refunds.complete(event.payload, [known[r] for r in ids])
        return Prepared(payloads=completed)

    def past_orders(self, shop: Shop, first: date, last: date, access: Access) -> Iterator[list]:
        return history.past_orders(self.client(shop, access), shop.currency, first, last)

    def orders_since(self, shop: Shop, watermark: str | None, access: Access) -> Changes:
        """Orders modified after the watermark (GMT, a second early), oldest first, a hundred a page,
        as ``order.updated`` deliveries; the watermark moves to the last one read. A page the store
        cannot give after the first returns what was read, so the pass still advances."""
        since = _moment(watermark) or shop.installed_at.strftime(GMT)
        start = (datetime.strptime(since, GMT) - OVERLAP).strftime(GMT)
        client, deliveries, last = self.client(shop, access), [], since
        for page in range(1, MAX_PAGES + 1):
            params = {"modified_after": start, "dates_are_gmt": "true", "orderby": "modified", "order": "asc",
                      "per_page": PER_PAGE, "page": page}
            try:
                orders = _objects(client.get("/orders", params), "orders")
            except PlatformError:
                if not deliveries:
                    raise
                log.info("%s: orders page %s not read; the next pass carries on", shop.domain, page)
                break
            for order in orders:
                try:
                    key = snapshot_key(order)
                except Unreadable as exc:
                    raise PlatformError(f"{shop.domain}: an order in /orders: {exc}") from None
                modified = _moment(order.get("date_modified_gmt"))
                if modified and modified > last:
                    last = modified
                deliveries.append(Delivery(ORDER_TOPIC, json.dumps(order, ensure_ascii=False).encode(), key))
            if len(orders) < PER_PAGE:
                break
        return Changes(deliveries, last)
