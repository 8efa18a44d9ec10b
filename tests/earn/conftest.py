"""Fixtures of the earning tests: review deliveries signed for real, the generic and the Judge.me way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count

import pytest
from standardwebhooks import Webhook

from tests.helpers import BOB, SHOP_DOMAIN, webhook_secret
from webhooks.judgeme import receiver as judgeme
from webhooks.reviews.receiver import standard_secret


@pytest.fixture
def post_review(app, client, shop):
    """POST a generic review event signed the Standard Webhooks way with the shop's secret."""
    counter = count(1)

    def post(kind="review.published", review="r1", product="p1", customer=BOB, *, body=None,
             delivery=None, secret=None, at=None, domain=SHOP_DOMAIN, headers=None):
        if body is None:
            body = {"type": kind, "review_id": review, "customer_id": customer, "product_id": product}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        msg_id = delivery or f"msg_{next(counter)}"
        when = at or datetime.now(UTC)
        signer = Webhook(standard_secret(secret or webhook_secret(app, shop)))
        sent = {"Content-Type": "application/json", "webhook-id": msg_id,
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signer.sign(msg_id, when, raw.decode("utf-8", "replace")),
                **(headers or {})}
        return client.post(f"/webhooks/reviews/{domain}", data=raw, headers=sent)

    return post


@pytest.fixture
def post_judgeme(app, client, shop):
    def post(body, *, secret=None, signature=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json",
                judgeme.SIGNATURE_HEADER: signature if signature is not None
                else judgeme.sign(secret or webhook_secret(app, shop), raw)}
        return client.post("/webhooks/judgeme", data=raw, headers=sent)

    return post
