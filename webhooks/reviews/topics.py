"""Review types any review app or custom store sends, signed with Standard Webhooks: the type is in
the body, the shop in the address (``/webhooks/reviews/<domain>``)."""

from __future__ import annotations

from typing import Any

from webhooks.contract import Inbound, Topic, domain_path
from webhooks.mapped import Mapped
from webhooks.readers import field, opaque_id
from webhooks.reviews import payloads as review_payloads
from webhooks.signatures import standard_secret

PLATFORM = "reviews"
PATH = "/webhooks/reviews/<domain>"


def _generic_keys(body: Any) -> Mapped:
    return Mapped(field(body, "type"), subject=f"review:{opaque_id(body, 'review_id')}")


TOPICS: dict[str, Topic] = {
    review_payloads.PUBLISHED: Topic(_generic_keys, review_payloads.generic),
    review_payloads.UNPUBLISHED: Topic(_generic_keys, review_payloads.generic),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(TOPICS), domain_path("/webhooks/reviews"),
                  secret=standard_secret)
