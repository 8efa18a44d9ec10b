"""What every receiver reads and answers (a Delivery in, an Answer out), and the steps they share
after their own signature check: store once, ring, answer. Parsing and the storable text are
webhooks.readers', which the worker shares.

A receiver is a plain function of a Delivery, so the same code serves a request routed by Flask and
one taken straight from WSGI (webhooks.direct): nothing here reads Flask's request or app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugin.core.errors import Unauthorized
from plugin.core.jsonbody import MalformedJson
from plugin.core.models import Shop
from plugin.core.status import EventStatus
from plugin.http.runtime import Runtime
from plugin.pipeline import jobs, queue
from webhooks import inbox
from webhooks.mapped import Mapped
from webhooks.readers import UNSTORABLE, storable
from webhooks.signatures import STANDARD_HEADERS, standard_valid


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request: its raw body, its WSGI environ (the headers), the parts its address
    named (``args``) and the app's settings and vault."""

    environ: dict[str, Any]
    raw: bytes
    runtime: Runtime
    args: dict[str, str]

    def header(self, name: str) -> str | None:
        """A request header by its name, any case (WSGI spells it HTTP_NAME_WITH_UNDERSCORES)."""
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))


#: A receiver's answer, a 200 with this JSON object (every refusal is raised: a LoyaltyError).
Answer = dict[str, Any]


def accept(shop: Shop, platform: str, topic: str, delivery_id: str, raw: bytes, mapped: Mapped) -> Answer:
    """Store the delivery in the inbox once, ring the shop's doorbell, and answer 200."""
    topic = UNSTORABLE.sub("\ufffd", topic)[:128] or "(none)"  # a body's topic may be anything
    event = inbox.store(shop, platform, topic, delivery_id, storable(raw), mapped)
    if event is None:
        return {"status": "duplicate"}
    if event.status == EventStatus.INVALID:  # signed, so 2xx: the owner sees it and can retry it after a fix
        return {"status": event.status, "event_id": event.id, "error": mapped.note}
    if event.status != EventStatus.PENDING:
        return {"status": event.status, "event_id": event.id}
    queue.ring_soon(shop.id, jobs.apply_pending)
    return {"status": "accepted", "event_id": event.id}


def standard_verified(shop: Shop, delivery: Delivery) -> str:
    """A Standard Webhooks delivery (reviews, custom stores) signed with the shop's own webhook
    secret, within its five minutes: its delivery id (``webhook-id``); 400 for a body that is not
    UTF-8 (it cannot be JSON), 401 for a signature that does not verify."""
    headers = {name: delivery.header(name) or "" for name in STANDARD_HEADERS}
    try:
        text = delivery.raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJson("body is not UTF-8") from None
    failure = standard_valid(delivery.runtime.vault.webhook_secret(shop.id), text, headers)
    if failure is not None:
        raise Unauthorized(f"webhook signature does not verify: {failure}")
    return headers["webhook-id"][:255]
