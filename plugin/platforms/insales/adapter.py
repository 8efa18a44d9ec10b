"""InSales on the platform contract: webhooks and the external discount registered at install,
the plugin's own codes as the discount (InSales asks for it at checkout), and reconciliation by
``updated_since`` + ``from_id``, because InSales does not guarantee webhook delivery."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date

from plugin.core.models import Shop
from plugin.customers import currency
from plugin.platforms import PlatformError
from plugin.platforms.contract import Access, Changes, Delivery, Platform
from plugin.platforms.insales import history
from plugin.platforms.insales.client import InSalesClient, RateLimited
from webhooks.contract import Address
from webhooks.insales import topics as inbound
from webhooks.readers import Unreadable

log = logging.getLogger(__name__)

PLATFORM = "insales"
ORDER_TOPIC = "orders/update"  # what a reconciled order is stored as: its latest state
PER_PAGE = 100  # InSales' largest page
#: Pages per reconciliation pass (each page a request of the shop's 500 per 5 minutes); the
#: watermark keeps what was read, so the next pass carries on.
MAX_PAGES = 50
DISCOUNT_PATH = "/insales/discount/{shop_id}/{secret}"
#: InSales' legacy code for the rouble; the plugin keeps ISO 4217's.
CURRENCY_ALIASES = {"RUR": "RUB"}


def discount_url(shop: Shop, access: Access) -> str:
    """The shop's external discount address; its secret path segment stands in for a signature."""
    secret = access.vault.derive("insales-discount", shop.id)
    return access.settings.public_url + DISCOUNT_PATH.format(shop_id=shop.id, secret=secret)


def webhook_addresses(shop: Shop, access: Access) -> dict[str, str]:
    """Every topic InSales' inbound side subscribes -> the URL with the shop's secret segment."""
    return inbound.INBOUND.addresses(Address.of(shop, access.settings.public_url, access.vault))


def _list(body, what: str) -> list[dict]:
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise PlatformError(f"InSales answered {what} without a list of objects")
    return body


class InSales(Platform):
    name = PLATFORM
    reconciles = True
    lists_orders = True

    def client(self, shop: Shop, access: Access) -> InSalesClient:
        settings = access.settings
        if not (settings.insales_app_id and settings.insales_secret):
            raise PlatformError("this app is not configured for InSales: "
                                "set INSALES_APP_ID and INSALES_SECRET")
        password = access.vault.decrypt(shop.access_token)
        if not password:
            raise PlatformError(f"no InSales password for {shop.domain}; install the app again")
        return InSalesClient(shop.domain, settings.insales_app_id, password)

    def install(self, shop: Shop, access: Access) -> None:
        """Subscribe the webhooks and the external discount (each once), then read the currency."""
        client = self.client(shop, access)
        have = {(hook.get("topic"), hook.get("address"))
                for hook in _list(client.get("/admin/webhooks.json"), "webhooks.json")}
        for topic, address in webhook_addresses(shop, access).items():
            if (topic, address) not in have:
                client.post("/admin/webhooks.json",
                            {"webhook": {"topic": topic, "address": address, "format_type": "json"}})
        url = discount_url(shop, access)
        known = _list(client.get("/admin/external_discounts.json"), "external_discounts.json")
        if not any(item.get("url") == url for item in known):
            client.post("/admin/external_discounts.json",
                        {"external_discount": {"description": "Loyalty points", "url": url}})
        account = client.get("/admin/account.json")
        if not isinstance(account, dict):
            raise PlatformError("InSales answered account.json without an object")
        code = str(account.get("currency") or account.get("currency_code") or "").strip().upper()
        try:
            currency.set_currency(shop, CURRENCY_ALIASES.get(code, code))
        except currency.ShopError as exc:
            raise PlatformError(f"{shop.domain}: {exc}") from None
        title = account.get("title")
        if isinstance(title, str) and title.strip():
            Shop.update(name=title.strip()[:255]).where(Shop.id == shop.id).execute()

    def past_orders(self, shop: Shop, first: date, last: date, access: Access) -> Iterator[list]:
        return history.past_orders(self.client(shop, access), first, last)

    def orders_since(self, shop: Shop, watermark: str | None, access: Access) -> Changes:
        """Orders with ``updated_at >= since`` past ``from_id``, page 1 with a moving filter (as
        InSales documents), until a short page. The watermark is "updated_at|id" of the last order
        read; a limit hit after the first page returns what was read, so the pass still advances."""
        since, from_id = _start(shop, watermark)
        client, deliveries = self.client(shop, access), []
        for _ in range(MAX_PAGES):
            params = {"updated_since": since, "per_page": PER_PAGE}
            if from_id:
                params["from_id"] = from_id
            try:
                page = _list(client.get("/admin/orders.json", params), "orders.json")
            except RateLimited:
                if not deliveries:
                    raise
                log.info("InSales limit for %s after %s orders; the next pass carries on",
                         shop.domain, len(deliveries))
                break
            for order in page:
                order_id, updated_at = str(order.get("id") or ""), str(order.get("updated_at") or "")
                if not order_id or not updated_at:
                    raise PlatformError(f"{shop.domain}: an order in orders.json has no id or updated_at")
                try:
                    key = inbound.snapshot_key(order)
                except Unreadable as exc:
                    raise PlatformError(f"{shop.domain}: an order in orders.json: {exc}") from None
                raw = json.dumps(order, ensure_ascii=False).encode("utf-8")
                deliveries.append(Delivery(ORDER_TOPIC, raw, key))
                since, from_id = updated_at, order_id
            if len(page) < PER_PAGE:
                break
        return Changes(deliveries, f"{since}|{from_id}" if from_id else watermark)


def _start(shop: Shop, watermark: str | None) -> tuple[str, str | None]:
    """(updated_since, from_id) of a watermark; the first pass starts at the install."""
    if watermark and "|" in watermark:
        since, _, from_id = watermark.rpartition("|")
        return since, from_id or None
    return shop.installed_at.strftime("%Y-%m-%d %H:%M:%S +0000"), None
