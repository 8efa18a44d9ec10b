"""Shopify: the Admin GraphQL client (client), discounts and segments (discounts), product facts
(catalog) and the offline-token store and renewal (install)."""

from plugin.platforms.shopify.catalog import catalog_facts
from plugin.platforms.shopify.client import GRAPHQL_PATH, ShopifyClient
from plugin.platforms.shopify.discounts import (
    create_discount,
    create_segment,
    create_tier_discount,
    delete_discount,
    delete_segment,
    delete_tier_discount,
    discount_input,
    retag_customers,
    tier_discount_input,
)

__all__ = [
    "GRAPHQL_PATH",
    "ShopifyClient",
    "catalog_facts",
    "create_discount",
    "create_segment",
    "create_tier_discount",
    "delete_discount",
    "delete_segment",
    "delete_tier_discount",
    "discount_input",
    "retag_customers",
    "tier_discount_input",
]
