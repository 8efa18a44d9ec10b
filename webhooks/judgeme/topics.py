"""Judge.me's topics: a review created or updated is published or unpublished (webhooks.reviews'
mapper reads both); Judge.me is configured with the one address."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from plugin.core.status import EventStatus
from webhooks.contract import Inbound, Topic, fixed_path
from webhooks.mapped import Mapped
from webhooks.readers import Unreadable, field, opaque_id
from webhooks.reviews import payloads as review_payloads

PLATFORM = "judgeme"
PATH = "/webhooks/judgeme"


_FLAG = fields.Boolean(allow_none=True)


def _flag(body: Any, path: str) -> bool | None:
    try:
        return _FLAG.deserialize(field(body, path))
    except ValidationError:
        raise Unreadable(path, "must be true or false") from None


def _judgeme_keys(body: Any) -> Mapped:
    """Published and not hidden -> published, else unpublished; guests and store reviews ignored."""
    review_id = opaque_id(body, "review.id")
    if field(body, "review.product_external_id") is None:
        return Mapped(None, status=EventStatus.IGNORED, note="a review of the store, not of a product")
    if field(body, "review.reviewer.external_id") is None:
        return Mapped(None, status=EventStatus.IGNORED,
                      note="the reviewer is not one of the store's customers")
    published = _flag(body, "review.published") and not _flag(body, "review.hidden")
    kind = review_payloads.PUBLISHED if published else review_payloads.UNPUBLISHED
    return Mapped(kind, subject=f"review:{review_id}")


TOPICS: dict[str, Topic] = {
    "review/created": Topic(_judgeme_keys, review_payloads.judgeme),
    "review/updated": Topic(_judgeme_keys, review_payloads.judgeme),
}
INBOUND = Inbound(PLATFORM, PATH, TOPICS, tuple(TOPICS), fixed_path(PATH), secret=str)
