"""The facts the rules need about a WooCommerce line's product, read once into the catalog cache
(CatalogProduct, plugin.program.catalog copies them onto order lines).

WooCommerce has categories and tags where the program has tags and product types, so: the line's
``product_type`` is the product's first category, its ``tags`` are the product's tag names and
then all its category names (a program category listing a WooCommerce category's name under
either tags or product types matches). ``on_sale`` is the product's: a sale price below the
regular price (variable products carry their prices per variation, which the plugin does not
read: their lines count as not on sale).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from plugin.core import clock
from plugin.core.db import write_transaction
from plugin.core.models import CatalogProduct
from plugin.platforms import PlatformError
from plugin.platforms.woocommerce.client import WooClient

PER_PAGE = 100  # WooCommerce's largest page: one call per hundred products


def _names(items) -> list[str]:
    return [str(item["name"])[:255] for item in items or [] if isinstance(item, dict) and item.get("name")]


def _price(value) -> str | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return str(amount) if value not in (None, "") and amount.is_finite() else None


def facts(product: dict) -> dict:
    """A REST product as the catalog keeps it; the sale prices under "" and each variation id."""
    categories, tags = _names(product.get("categories")), _names(product.get("tags"))
    price, regular = _price(product.get("price")), _price(product.get("regular_price"))
    sale = {"price": price, "compare_at_price": regular if product.get("on_sale") is True else None}
    variations = [str(v) for v in product.get("variations") or []
                  if isinstance(v, int) and not isinstance(v, bool)]
    return {"tags": list(dict.fromkeys(tags + categories)),
            "product_type": categories[0] if categories else None, "vendor": None,
            "variants": {key: sale for key in ["", *variations]}}


def unknown(shop_id: int, product_ids: Iterable[str]) -> list[str]:
    """The products the catalog cache does not know yet."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return []
    known = {row.product_id for row in CatalogProduct.select(CatalogProduct.product_id).where(
        (CatalogProduct.shop == shop_id) & CatalogProduct.product_id.in_(wanted))}
    return [product_id for product_id in wanted if product_id not in known]


def read(client: WooClient, shop_id: int, product_ids: list[str]) -> int:
    """``GET /products?include=...`` for the products the cache lacks, a hundred a call; cached."""
    found = {}
    for start in range(0, len(product_ids), PER_PAGE):
        chunk = product_ids[start:start + PER_PAGE]
        answer = client.get("/products", {"include": ",".join(chunk), "per_page": PER_PAGE})
        if not isinstance(answer, list):
            raise PlatformError(f"{client.domain} answered the products without a list")
        for product in answer:
            if isinstance(product, dict) and str(product.get("id")) in chunk:
                found[str(product["id"])] = facts(product)
    gone = {"tags": [], "product_type": None, "vendor": None, "variants": {}}
    with write_transaction():  # a product the store no longer has is kept as known-without-facts
        for product_id, data in {**dict.fromkeys(product_ids, gone), **found}.items():
            CatalogProduct.insert(shop=shop_id, product_id=product_id, fetched_at=clock.now(),
                                  **data).on_conflict_ignore().execute()
    return len(found)
