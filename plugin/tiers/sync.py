"""Shopify applies tier benefits itself: a tag per tier on the customer, a customer segment per
tag, and an automatic discount per benefit limited to that segment.

So a tier change is one tag change, never a discount code per customer, and the shopper types
nothing at checkout. The database says which tier each customer holds; ``CustomerTier.synced_tier``
records the tag Shopify has, and ``TierDiscount`` what was made for each tier, so a run sends only
the differences, a call that failed is retried by the next run, and a second run changes nothing.
rq cron runs it every minute.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from plugin.config import load_settings
from plugin.core import clock
from plugin.core.crypto import Vault
from plugin.core.db import session
from plugin.core.models import Customer, CustomerTier, Shop, TierDiscount
from plugin.platforms import PlatformError
from plugin.platforms import shopify as shopify_api
from plugin.platforms.shopify import tokens
from plugin.program import versions
from plugin.tiers.perks import has_benefits

log = logging.getLogger(__name__)

TAG_PREFIX = "loyalty-tier-"
BATCH = 25  # customers per GraphQL request: 2 mutations of 10 cost points each stay under 1000
#: benefit kind -> (TierDiscount field of its discount's id, field of the value it was made with)
BENEFITS = {"percent": ("percent_id", "percent"), "shipping": ("shipping_id", "threshold")}


def tag(tier_id: str) -> str:
    return TAG_PREFIX + tier_id


def title(tier: dict) -> str:
    """The name of the tier's segment and, with the benefit, of its discounts (orders show it)."""
    return f"Loyalty: {tier['title'].get('en') or tier['title'].get('ru') or tier['id']}"


def benefit_title(tier: dict, kind: str) -> str:
    return f"{title(tier)} ({'discount' if kind == 'percent' else 'free shipping'})"


def _wanted(program: dict) -> dict[str, dict]:
    return {tier["id"]: tier for tier in (program.get("tiers") or {}).get("tiers", []) if has_benefits(tier)}


def sync_discounts(client: shopify_api.ShopifyClient, shop_id: int, program: dict) -> None:
    """Make the shop's automatic tier discounts match the program. Each platform call is recorded
    as soon as it succeeds, so a failure halfway leaves nothing unaccounted for."""
    wanted = _wanted(program)
    for row in TierDiscount.select().where(TierDiscount.shop == shop_id):
        if row.tier_id in wanted:
            continue
        for node in (row.percent_id, row.shipping_id):
            if node:
                shopify_api.delete_tier_discount(client, node)
        if row.segment_id:
            shopify_api.delete_segment(client, row.segment_id)
        row.delete_instance()
    starts = clock.now().isoformat() + "Z"
    for tier_id, tier in wanted.items():
        row, _ = TierDiscount.get_or_create(shop=shop_id, tier_id=tier_id)
        if not row.segment_id:
            row.segment_id = shopify_api.create_segment(client, title(tier), tag(tier_id))
            row.save()
        for kind, (node_field, value_field) in BENEFITS.items():
            value = tier["discount_percent"] or None if kind == "percent" else tier["free_shipping_threshold"]
            if getattr(row, value_field) != value or (value is not None and not getattr(row, node_field)):
                _replace(client, row, kind, value, benefit_title(tier, kind), starts)


def _replace(client: shopify_api.ShopifyClient, row: TierDiscount, kind: str, value: Decimal | None,
             name: str, starts: str) -> None:
    """Swap one benefit's discount for one with the new value (none when the value is gone)."""
    node_field, value_field = BENEFITS[kind]
    if getattr(row, node_field):
        shopify_api.delete_tier_discount(client, getattr(row, node_field))
        setattr(row, node_field, None)
        row.save()
    if value is not None:
        discount = shopify_api.tier_discount_input(
            kind, name, row.segment_id, starts,
            percent=value if kind == "percent" else None, threshold=value if kind == "shipping" else None)
        setattr(row, node_field, shopify_api.create_tier_discount(client, kind, discount))
    setattr(row, value_field, value)
    row.synced_at = clock.now()
    row.save()


def sync_customers(client: shopify_api.ShopifyClient, shop_id: int, batch: int = BATCH) -> int:
    """Retag the customers whose tier is not the tag Shopify has; returns how many."""
    moved = 0
    while True:
        unsynced = CustomerTier.synced_tier.is_null() | (CustomerTier.synced_tier != CustomerTier.tier_id)
        rows = list(CustomerTier.select(CustomerTier.id, CustomerTier.tier_id, CustomerTier.synced_tier,
                                        Customer.platform_id)
                    .join(Customer).where((CustomerTier.shop == shop_id) & unsynced)
                    .order_by(CustomerTier.id).limit(batch).tuples())
        if not rows:
            return moved
        shopify_api.retag_customers(client, [(platform_id, [tag(tier)], [tag(old)] if old else [])
                                             for _, tier, old, platform_id in rows])
        for row_id, tier, _, _ in rows:  # unless the tier moved again meanwhile: then next round
            CustomerTier.update(synced_tier=tier).where(
                (CustomerTier.id == row_id) & (CustomerTier.tier_id == tier)).execute()
        moved += len(rows)


def sync_all() -> int:
    """RQ cron job: bring every Shopify shop with tiers in step; returns the customers retagged.
    One shop's failure (a lapsed token, throttling) is logged and retried next run."""
    settings = load_settings()
    vault = Vault(settings.secret_key)
    retagged = 0
    with session():
        for shop in Shop.select().where(Shop.active & (Shop.platform == "shopify")
                                        & Shop.access_token.is_null(False)):
            program = versions.current(shop.id)[1]
            if not program.get("tiers") and not TierDiscount.select().where(
                    TierDiscount.shop == shop.id).exists():
                continue
            try:
                client = shopify_api.ShopifyClient(shop.domain, tokens.access_token(shop, vault, settings))
                sync_discounts(client, shop.id, program)
                if program.get("tiers"):
                    retagged += sync_customers(client, shop.id)
            except PlatformError as exc:
                log.warning("tier sync of shop %s failed: %s", shop.id, exc.message)
    return retagged
