"""The topic registry: every platform's inbound side (webhooks.contract.Inbound), by name.

Each topic pairs a tolerant reader (on the request: the few keys that store the delivery once)
with its mapper (in the worker: the stored raw body -> the canonical payload). manifest.json's
subscriptions are checked against this registry by a test, and the install flow subscribes what
the manifest lists, so the three never drift apart.
"""

from __future__ import annotations

from webhooks.contract import Inbound, Topic
from webhooks.custom import topics as custom
from webhooks.ecwid import topics as ecwid
from webhooks.insales import topics as insales
from webhooks.judgeme import topics as judgeme
from webhooks.mapped import Mapped, unknown
from webhooks.readers import Unreadable
from webhooks.reviews import topics as reviews
from webhooks.shopify import topics as shopify
from webhooks.woocommerce import topics as woocommerce

INBOUND: dict[str, Inbound] = {inbound.platform: inbound for inbound in (
    shopify.INBOUND, judgeme.INBOUND, reviews.INBOUND, insales.INBOUND, custom.INBOUND, ecwid.INBOUND,
    woocommerce.INBOUND)}
REGISTRY: dict[str, dict[str, Topic]] = {name: dict(inbound.topics) for name, inbound in INBOUND.items()}

__all__ = ["INBOUND", "REGISTRY", "Mapped", "Topic", "Unreadable", "unknown"]
