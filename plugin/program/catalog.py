"""What the rules need to know about a shop's products: tags, type, vendor, sale prices.

Shopify's order webhooks carry none of them, so "promotional items earn nothing" or "sale items
cannot be paid with points" would never match a real order. The products webhooks keep a
per-shop cache (``CatalogProduct``); a product the cache has never seen is looked up through the
Admin API when its first order is applied, in one call for the whole batch, made before the
batch's write transaction (no lock is held while Shopify answers). The worker then copies the
facts onto the order's lines before the earning rules and caps read them: the rules see the
catalog as it is when the order is applied (products webhooks waiting in the same batch first),
and the order keeps those facts, so its refunds reverse on them.

If the lookup fails the order is applied all the same, with what is known, and its breakdown
says which products earned without their tags, type and sale price: retrying instead would hold
the shop's whole inbox (events apply in arrival order) on a third party's outage.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from plugin.config import load_settings
from plugin.core import clock, reasons
from plugin.core.crypto import Vault
from plugin.core.db import claiming, ids_in, locking, write_transaction
from plugin.core.models import CatalogProduct, Event, Shop
from plugin.core.prepared import Prepared
from plugin.core.status import EventStatus
from plugin.platforms import PlatformError
from plugin.platforms import shopify as shopify_api
from plugin.platforms.shopify import tokens
from plugin.program import versions

log = logging.getLogger(__name__)

PLATFORM = "shopify"
ORDER_TOPICS = ("orders/paid", "orders/create")
PRODUCT_TOPICS = ("products/create", "products/update", "products/delete")
READ_PRODUCTS = {"read_products", "write_products"}  # either scope reads products
#: After a failed lookup a shop's orders apply without one for a while: a Shopify outage then costs
#: each worker one timeout a minute instead of one per batch. Only a throttle: losing it is harmless.
BACKOFF = timedelta(seconds=60)
_failed_at: dict[int, datetime] = {}


def prepare(shop_id: int, limit: int, mapped: dict[int, dict] | None = None) -> None:
    """Before a batch's transaction: apply the products webhooks among the next ``limit`` pending
    events, then look up the products their orders name that the cache does not know. ``mapped``:
    payloads the caller has at hand by event id, not read (nor decoded) again."""
    mapped = mapped or {}
    events = list(Event.select(Event.id, Event.shop, Event.platform, Event.topic).where(
        (Event.shop == shop_id) & (Event.status == EventStatus.PENDING) & (Event.platform == PLATFORM)
        & Event.topic.in_(ORDER_TOPICS + PRODUCT_TOPICS)).order_by(Event.id).limit(limit))
    if not events:
        return
    unread = [event.id for event in events if event.id not in mapped]
    stored = dict(Event.select(Event.id, Event.payload).where(
        ids_in(Event.id, unread)).tuples()) if unread else {}
    for event in events:
        event.payload = mapped[event.id] if event.id in mapped else stored.get(event.id)
    _apply_product_events(shop_id, [e for e in events if e.topic in PRODUCT_TOPICS])
    wanted = {(line.get("product_id"), line.get("variant_id"))
              for e in events if e.topic in ORDER_TOPICS
              for line in (e.payload or {}).get("lines") or [] if line.get("product_id")}
    if wanted:
        lookup(shop_id, wanted)


def lookup(shop_id: int, wanted: set[tuple[str, str | None]]) -> None:
    """Ask Shopify once for the (product, variant) pairs the cache lacks and cache the answers.
    A failure is logged and left to the orders' breakdown; a batch after the backoff asks again."""
    known = {row.product_id: row.variants for row in CatalogProduct.select(
        CatalogProduct.product_id, CatalogProduct.variants).where(
        (CatalogProduct.shop == shop_id) & CatalogProduct.product_id.in_([p for p, _ in wanted]))}
    variants = sorted({v for p, v in wanted if v and (p not in known or v not in known[p])})
    products = sorted({p for p, v in wanted if not v and p not in known})
    if not variants and not products:
        return
    shop = Shop.get_by_id(shop_id)
    granted = set((shop.scopes or "").replace(" ", "").split(","))
    if shop.platform != PLATFORM or not shop.access_token or not granted & READ_PRODUCTS or (
            shop_id in _failed_at and clock.now() < _failed_at[shop_id] + BACKOFF):
        return  # not installed with the scope (yet), or Shopify failed a moment ago
    try:
        settings = load_settings()
        client = shopify_api.ShopifyClient(shop.domain, tokens.access_token(shop, Vault(settings.secret_key),
                                                                            settings))
        found = shopify_api.catalog_facts(client, variants, products)
    except (PlatformError, ValueError) as exc:  # ConfigError and an undecryptable token are ValueErrors
        log.warning("shop %s: product lookup for %s lines failed, orders apply without it: %s",
                    shop_id, len(variants) + len(products), exc)
        _failed_at[shop_id] = clock.now()
        return
    _failed_at.pop(shop_id, None)
    with write_transaction():
        for product_id, facts in found.items():
            _store(shop_id, product_id, facts, merge=True)


def onto_orders(shop_id: int, events: list[Event]) -> None:
    """Copy the cached facts onto the lines of Shopify paid orders; a line whose product the
    cache does not know keeps none, and the order's breakdown says so if the program cares."""
    orders = [e.payload for e in events if e.platform in (PLATFORM, "woocommerce") and e.payload]
    ids = {line["product_id"] for order in orders for line in order["lines"] if line.get("product_id")}
    if not ids:
        return
    rows = {row.product_id: row for row in CatalogProduct.select().where(
        (CatalogProduct.shop == shop_id) & CatalogProduct.product_id.in_(list(ids)))}
    says = reads_catalog(versions.current(shop_id)[1])
    for order in orders:
        unknown = []
        for line in order["lines"]:
            row = rows.get(line.get("product_id"))
            if row is not None:
                onto_line(line, row)
            elif line.get("product_id") and line["product_id"] not in unknown:
                unknown.append(line["product_id"])
        if unknown and says:
            note = reasons.not_in_catalog(unknown)
            order["notes"] = [n for n in order.get("notes") or [] if n != note] + [note]


def reads_catalog(program: dict) -> bool:
    """Whether a rule of the program turns on facts only the catalog has (vendor is on the line)."""
    return bool(any(c["tags"] or c["product_types"] for c in program["categories"].values())
                or program["earning"]["exclude_sale_items"] or program["redemption"]["exclude_sale_items"])


def onto_cart(shop_id: int, order: dict) -> dict:
    """A widget cart's lines take the facts the catalog has for their products, as the paid order
    will: what the storefront sent is only a claim (anyone can edit it); unknown products keep it.
    A cart line names no variant, so its sale flag stays the storefront's."""
    ids = tuple({line["product_id"] for line in order["lines"] if line.get("product_id")})
    if ids:
        rows = {row.product_id: row for row in _products(shop_id, ids)}
        for line in order["lines"]:
            row = rows.get(line.get("product_id"))
            if row is not None:
                _describe(line, row)
    return order


@Prepared
def _products(shop_id: int, product_ids: tuple[str, ...]):
    return CatalogProduct.select().where((CatalogProduct.shop == shop_id)
                                         & CatalogProduct.product_id.in_(product_ids))


def onto_line(line: dict, row: CatalogProduct) -> None:
    _describe(line, row)
    line["on_sale"] = on_sale((row.variants or {}).get(line.get("variant_id") or ""))


def _describe(line: dict, row: CatalogProduct) -> None:
    line["tags"], line["product_type"] = list(row.tags or []), row.product_type
    line["vendor"] = line.get("vendor") or row.vendor


def on_sale(variant: dict | None) -> bool:
    """Shopify's sale: a compare-at price above the price."""
    if not variant or variant.get("price") is None or variant.get("compare_at_price") is None:
        return False
    try:
        return Decimal(variant["compare_at_price"]) > Decimal(variant["price"])
    except InvalidOperation:
        return False


def product_updated(event: Event) -> str:
    """products/create and products/update: the cache takes the newer facts; no points move."""
    data = event.payload
    _store(event.shop_id, data["product_id"], data, merge=False)
    return EventStatus.APPLIED


def product_deleted(event: Event) -> str:
    CatalogProduct.delete().where((CatalogProduct.shop == event.shop_id)
                                  & (CatalogProduct.product_id == event.payload["product_id"])).execute()
    return EventStatus.APPLIED


def _apply_product_events(shop_id: int, events: list[Event]) -> None:
    """Products webhooks ahead of the batch's orders, so an order sees the tag added before it;
    each is marked applied here, once (skip-locked, conditional), and the batch never sees it."""
    if not events:
        return
    with write_transaction():
        for event in claiming(Event.select().where(Event.id.in_([e.id for e in events])
                                                   & (Event.status == EventStatus.PENDING))
                              .order_by(Event.id)):
            if event.payload is None:
                continue  # did not fit (marked invalid by the worker's mapping)
            (product_deleted if event.topic == "products/delete" else product_updated)(event)
            Event.update(status=EventStatus.APPLIED, attempts=Event.attempts + 1,
                         applied_at=clock.now()).where(
                (Event.id == event.id) & (Event.status == EventStatus.PENDING)).execute()



def _store(shop_id: int, product_id: str, facts: dict, *, merge: bool) -> None:
    """Upsert one product. A webhook replaces its variants; a lookup adds the ones it asked for.
    The product's own facts change only for an update at least as new as the one cached."""
    row = locking(CatalogProduct.select().where(
        (CatalogProduct.shop == shop_id) & (CatalogProduct.product_id == product_id))).first()
    updated_at = datetime.fromisoformat(facts["updated_at"]) if facts.get("updated_at") else None
    product = {"tags": facts["tags"], "product_type": facts["product_type"], "vendor": facts["vendor"],
               "updated_at": updated_at}
    if row is None:
        CatalogProduct.insert(shop=shop_id, product_id=product_id, variants=facts["variants"],
                              fetched_at=clock.now(), **product).on_conflict_ignore().execute()
        return
    newer = updated_at is None or row.updated_at is None or updated_at >= row.updated_at
    if not newer and not merge:
        return  # a late delivery of an older version
    changes = {"fetched_at": clock.now(),
               "variants": {**(row.variants or {}), **facts["variants"]} if merge else facts["variants"],
               **(product if newer else {})}
    CatalogProduct.update(**changes).where(CatalogProduct.id == row.id).execute()
