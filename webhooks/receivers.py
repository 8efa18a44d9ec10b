"""The HTTP side of webhooks/: every platform's receiver, registered by ``init_app``.

The app imports this module, never a platform package's ``__init__`` for its routes, so the
worker, which imports only the mappers (shopify.payloads, reviews.payloads...), stays free of Flask.
Each receiver is a function of a Delivery at its ROUTE: Flask routes it (a request that needs the
app's handling: webhooks.direct says which), and ``Direct`` serves every plain delivery without
Flask, through the same function.
"""

from __future__ import annotations

import json

from flask import Flask, current_app, request

from plugin.http.runtime import runtime
from webhooks.custom import receiver as custom
from webhooks.direct import Direct, Receive
from webhooks.ecwid import receiver as ecwid
from webhooks.insales import receiver as insales
from webhooks.judgeme import receiver as judgeme
from webhooks.receiving import Delivery
from webhooks.reviews import receiver as reviews
from webhooks.shopify import receiver as shopify
from webhooks.woocommerce import receiver as woocommerce

RECEIVERS = (shopify, judgeme, reviews, insales, custom, ecwid,
             woocommerce)


def init_app(app: Flask) -> None:
    """Each receiver as a Flask route, then the app's WSGI callable wrapped by ``Direct``."""
    for receiver in RECEIVERS:
        app.add_url_rule(receiver.ROUTE, endpoint=receiver.__name__, view_func=_routed(receiver.receive),
                         methods=["POST"])
    app.wsgi_app = Direct(app, [(receiver.ROUTE, receiver.receive) for receiver in RECEIVERS])


def _routed(receive: Receive):
    def view(**args: str):
        raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before anything is read
        answer = receive(Delivery(request.environ, raw, runtime(), args))
        return current_app.response_class(json.dumps(answer), mimetype="application/json")

    return view
