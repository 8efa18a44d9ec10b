"""The steps every receiver shares after its own signature check: store once, ring, answer
(parsing and the storable text are webhooks.readers', which the worker shares)."""

from __future__ import annotations

import json

from flask import Response, current_app, request

from plugin.core.errors import Unauthorized
from plugin.core.jsonbody import MalformedJson
from plugin.core.models import Shop
from plugin.core.status import EventStatus
from plugin.http.runtime import runtime
from plugin.pipeline import jobs, queue
from webhooks import inbox
from webhooks.mapped import Mapped
from webhooks.readers import UNSTORABLE, storable
from webhooks.signatures import STANDARD_HEADERS, standard_valid


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped):
    """Store the delivery in the inbox once, ring the shop's doorbell, and answer 200."""
    topic = UNSTORABLE.sub("\ufffd", topic)[:128] or "(none)"  # a body's topic may be anything
    event = inbox.store(shop, platform, topic, delivery_id, storable(raw), mapped)
    if event is None:
        return _answer(status="duplicate")
    if event.status == EventStatus.INVALID:  # signed, so 2xx: the owner sees it and can retry it after a fix
        return _answer(status=event.status, event_id=event.id, error=mapped.note)
    if event.status != EventStatus.PENDING:
        return _answer(status=event.status, event_id=event.id)
    queue.ring_soon(shop.id, jobs.apply_pending)
    return _answer(status="accepted", event_id=event.id)


def _answer(**fields) -> Response:
    """A 200 with a small JSON object (jsonify's provider machinery cost a tenth of a delivery)."""
    return current_app.response_class(json.dumps(fields), mimetype="application/json")


def standard_verified(shop: Shop, raw: bytes) -> str:
    """A Standard Webhooks delivery (reviews, custom stores) signed with the shop's own webhook
    secret, within its five minutes: its delivery id (``webhook-id``); 400 for a body that is not
    UTF-8 (it cannot be JSON), 401 for a signature that does not verify."""
    headers = {name: request.headers.get(name, "") for name in STANDARD_HEADERS}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("body is not UTF-8") from None
    failure = standard_valid(runtime().vault.webhook_secret(shop.id), text, headers)
    if failure is not None:
        raise Unauthorized(f"webhook signature does not verify: {failure}")
    return headers["webhook-id"][:255]
