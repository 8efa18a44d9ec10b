"""Fixtures of the webhook tests: a custom store and its events, signed the Standard Webhooks way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count

import pytest
from standardwebhooks import Webhook

from plugin.core.db import session
from plugin.customers import shops
from tests.helpers import webhook_secret
from tests.webhooks.ecwid_bodies import ecwid_api, ecwid_shop, send  # noqa: F401 - Ecwid's fixtures
from webhooks.signatures import standard_secret

CUSTOM_DOMAIN = "shop.example.com"


@pytest.fixture
def custom_shop(app):
    """A custom store, registered as ``loyalty shops add --platform custom`` does."""
    with session():
        created, _ = shops.register("custom", CUSTOM_DOMAIN)
        shops.set_currency(created, "RUB")
    return created


@pytest.fixture
def post_custom(app, client, custom_shop):
    """POST a custom store's event signed with the shop's secret; ``body`` a dict or raw bytes."""
    counter = count(1)

    def post(body, *, delivery=None, secret=None, at=None, domain=CUSTOM_DOMAIN, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        msg_id = delivery or f"msg_{next(counter)}"
        when = at or datetime.now(UTC)
        signer = Webhook(standard_secret(secret or webhook_secret(app, custom_shop)))
        sent = {"Content-Type": "application/json", "webhook-id": msg_id,
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signer.sign(msg_id, when, raw), **(headers or {})}
        return client.post(f"/webhooks/custom/{domain}", data=raw, headers=sent)

    return post
