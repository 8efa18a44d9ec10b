"""What the program's categories match an order line on: the products' tags, type, vendor and
variant prices, asked in batches of ids."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.platforms.shopify.client import ShopifyClient

CATALOG_QUERY = """
query catalog($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant { id price compareAtPrice product { id tags productType vendor updatedAt } }
    ... on Product { id tags productType vendor updatedAt }
  }
}"""
#: ``nodes`` takes at most 250 ids; a variant with its product costs 2 points of the 1000 a query may.
NODES_PER_CALL = 250


def _numeric(gid: str) -> str:
    return str(gid).rsplit("/", 1)[-1]


def _utc(moment: str | None) -> str | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None  # unknown: the cached facts are taken as the newest
    return (parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed).isoformat()


def catalog_facts(client: ShopifyClient, variant_ids: list[str], product_ids: list[str]) -> dict[str, dict]:
    """Tags, type, vendor and variant prices, asked by variant (and by product for lines without
    one): product id -> facts. Variants, not products with all their variants, because a
    product's ``variants(first: N)`` costs N points and a query may cost 1000: 250 lines per call."""
    ids = ([f"gid://shopify/ProductVariant/{v}" for v in variant_ids]
           + [f"gid://shopify/Product/{p}" for p in product_ids])
    found: dict[str, dict] = {}
    for start in range(0, len(ids), NODES_PER_CALL):
        nodes = client.graphql(CATALOG_QUERY, {"ids": ids[start:start + NODES_PER_CALL]}).get("nodes") or []
        for node in nodes:
            if not isinstance(node, dict) or not node.get("id"):
                continue  # deleted since the order, or not ours to read
            product = node.get("product") or node
            if not product.get("id"):
                continue
            facts = found.setdefault(_numeric(product["id"]), {
                "tags": [str(tag)[:255] for tag in product.get("tags") or []],
                "product_type": (product.get("productType") or "")[:255] or None,
                "vendor": (product.get("vendor") or "")[:255] or None,
                "updated_at": _utc(product.get("updatedAt")), "variants": {}})
            if node is not product:
                facts["variants"][_numeric(node["id"])] = {
                    "price": node.get("price"), "compare_at_price": node.get("compareAtPrice")}
    return found
