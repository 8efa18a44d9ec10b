"""The HTTP side of webhooks/: every platform's receiver, registered by ``init_app``.

The app imports this module, never a platform package's ``__init__`` for its routes, so the
worker, which imports only the mappers (shopify.payloads, reviews.payloads...), stays free of Flask.
"""

from __future__ import annotations

from flask import Flask

from webhooks.custom import receiver as custom
from webhooks.ecwid import receiver as ecwid
from webhooks.insales import receiver as insales
from webhooks.judgeme import receiver as judgeme
from webhooks.reviews import receiver as reviews
from webhooks.shopify import receiver as shopify
from webhooks.woocommerce import receiver as woocommerce

RECEIVERS = (shopify, judgeme, reviews, insales, custom, ecwid,
             woocommerce)


def init_app(app: Flask) -> None:
    for receiver in RECEIVERS:
        app.register_blueprint(receiver.bp)
