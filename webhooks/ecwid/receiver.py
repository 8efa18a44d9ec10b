"""The Ecwid webhook receiver: ``POST /webhooks/ecwid``, one URL for every store of the app.

Ecwid signs ``"{eventCreated}.{eventId}"`` with the app's client secret (X-Ecwid-Webhook-Signature),
so the body is parsed first (400 when it is not JSON), then verified (401), then its store named
by ``storeId``. Nothing else in the body is trusted: an event is stored as a notice, read from
the API later (plugin.platforms.ecwid). A store that is not installed gets a 200 and nothing is
stored (Ecwid retries anything else for a day); Ecwid's eventId is the delivery id.
"""

from __future__ import annotations

from plugin.core.errors import Unauthorized
from plugin.core.status import EventStatus
from plugin.customers import shops
from plugin.http.oauth import NotConfigured
from plugin.platforms.ecwid import NOT_CONFIGURED
from webhooks import receiving
from webhooks.ecwid.topics import FETCHED, NOTICES, PATH, PLATFORM, SIGNATURE_HEADER, signed_part, verify
from webhooks.mapped import unknown
from webhooks.readers import parse, whole_id
from webhooks.receiving import Answer, Delivery
from webhooks.stored import keys

ROUTE = PATH


def receive(delivery: Delivery) -> Answer:
    raw = delivery.raw
    secret = delivery.runtime.settings.ecwid_client_secret
    if not secret:
        raise NotConfigured(NOT_CONFIGURED)
    body = parse(raw)  # not a JSON object: 400
    if not verify(secret, body, delivery.header(SIGNATURE_HEADER)):
        raise Unauthorized("webhook signature does not verify")
    store = body.get("storeId")
    shop = shops.for_receiver(PLATFORM, str(store)) if whole_id(store) else None
    if shop is None:  # signed by Ecwid, for a store that never installed the plugin (or a forgery)
        return {"status": EventStatus.IGNORED, "reason": "unknown store"}
    topic = body.get("eventType")
    topic = topic if isinstance(topic, str) else "(none)"
    # A fetched/ topic holds what the API answered: a webhook may never claim to be one.
    mapped = keys(PLATFORM, topic, body) if topic in NOTICES else unknown(topic)
    if topic in FETCHED:
        topic = "webhook:" + topic
    return receiving.accept(shop, PLATFORM, topic, signed_part(body)[1], raw, mapped)
