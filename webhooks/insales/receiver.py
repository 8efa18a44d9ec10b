"""The InSales webhook receiver: ``POST /webhooks/insales/<shop id>/<secret>/<topic>``.

InSales does not sign webhooks; the address itself is the credential: the shop's secret path
segment (topics.path_secret), compared in constant time (401 when it or the shop is wrong). The
raw body is then stored whatever it holds (a body we cannot read is stored invalid and answered
200: the address proves it came from the shop's InSales, which retries anything else).
"""

from __future__ import annotations

from plugin.core.crypto import same
from plugin.core.errors import Unauthorized
from plugin.core.models import Shop
from plugin.customers import shops
from webhooks import receiving, stored
from webhooks.insales.topics import PLATFORM, PREFIX, delivery_id, path_secret
from webhooks.mapped import MAX_ID
from webhooks.receiving import Answer, Delivery

ROUTE = f"{PREFIX}/<shop_id>/<secret>/<path:topic>"


def shop_of(shop_id: str) -> Shop | None:
    """The InSales shop the address names (any other text is no shop: 401, never a 404 or 500)."""
    if not (shop_id.isascii() and shop_id.isdigit() and 0 < int(shop_id) <= MAX_ID):
        return None
    return shops.for_receiver_id(PLATFORM, int(shop_id))


def receive(delivery: Delivery) -> Answer:
    raw, topic = delivery.raw, delivery.args["topic"]
    shop = shop_of(delivery.args["shop_id"])
    if shop is None:
        raise Unauthorized("unknown shop")
    if not same(path_secret(delivery.runtime.vault, shop.id), delivery.args["secret"]):
        raise Unauthorized("webhook address secret does not match")
    return receiving.accept(shop, PLATFORM, topic, delivery_id(raw, topic), raw,
                            stored.read(PLATFORM, topic, raw))
