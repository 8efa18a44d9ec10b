"""Review webhooks (Judge.me, our generic schema) -> canonical ``review.published`` / ``review.unpublished``.

Canonical payload: {"review_id", "customer": {"id", "email"}, "product_id", "rating"}, ids as text.
Judge.me's bodies are not ours (``unknown = EXCLUDE``); the generic schema is ours (``RAISE``).
"""

from __future__ import annotations

import dataclasses
import hashlib

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from plugin.core.kinds import EventKind
from plugin.core.models import Event
from plugin.core.status import EventStatus
from webhooks import readers
from webhooks.mapped import Mapped

PUBLISHED, UNPUBLISHED = EventKind.REVIEW_PUBLISHED, EventKind.REVIEW_UNPUBLISHED


class Id(fields.Field):
    """A platform id given as a whole number or as text; loaded as text (exact beyond 2**53)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if readers.whole_id(value):
            return str(value)
        if isinstance(value, str) and readers.TEXT_ID.match(value):
            return value
        raise ValidationError("must be a whole number from 1 to 2^63-1 or 1-56 characters without "
                              "spaces, ':', '#' or NUL")


class _Theirs(Schema):
    class Meta:
        unknown = EXCLUDE


class JudgemeReviewer(_Theirs):
    external_id = Id(allow_none=True, load_default=None)  # the store's customer id; None: a guest
    email = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))


class JudgemeReview(_Theirs):
    id = Id(required=True)
    rating = fields.Integer(allow_none=True, load_default=None)  # not used to earn: lenient
    product_external_id = Id(allow_none=True, load_default=None)  # None: a review of the store
    reviewer = fields.Nested(JudgemeReviewer, required=True)
    published = fields.Boolean(required=True)
    hidden = fields.Boolean(load_default=False, allow_none=True)


class JudgemeBody(_Theirs):
    review = fields.Nested(JudgemeReview, required=True)


class GenericReview(Schema):
    """Our own schema for stores that post reviews themselves (signed with Standard Webhooks)."""

    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf((PUBLISHED, UNPUBLISHED)))
    review_id = Id(required=True)
    customer_id = Id(required=True)
    product_id = Id(required=True)
    rating = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=5))


JUDGEME, GENERIC = JudgemeBody(), GenericReview()


def judgeme(body: dict) -> Mapped:
    """review/created and review/updated: published and not hidden -> published, else unpublished."""
    review = JUDGEME.load(body)["review"]
    if review["product_external_id"] is None:
        return Mapped(None, status=EventStatus.IGNORED, note="a review of the store, not of a product")
    if review["reviewer"]["external_id"] is None:
        return Mapped(None, status=EventStatus.IGNORED,
                      note="the reviewer is not one of the store's customers")
    kind = PUBLISHED if review["published"] and not review["hidden"] else UNPUBLISHED
    customer = {"id": review["reviewer"]["external_id"], "email": review["reviewer"]["email"]}
    return Mapped(kind, {"review_id": review["id"], "customer": customer,
                         "product_id": review["product_external_id"], "rating": review["rating"]})


def generic(body: dict) -> Mapped:
    data = GENERIC.load(body)
    return Mapped(data["type"], {"review_id": data["review_id"], "customer": {"id": data["customer_id"]},
                                 "product_id": data["product_id"], "rating": data["rating"]})


def keyed(shop_id: int, mapped: Mapped, delivery_id: str) -> Mapped:
    """Add the business key that makes a review event apply once.

    ``review.unpublished:<review>:<delivery>``; ``review.published:<review>`` the first time, and
    ``review.published:<review>:<n>`` once n unpublish events of the review were stored, so a
    publish after an unpublish is a new fact while a publish sent twice (Judge.me's created and
    updated) is a duplicate. Counting uses the inbox's (shop, subject) index. Two deliveries of
    one review racing in two web processes may both count alike: the second is then dropped as a
    duplicate, as if the flip never happened.
    """
    if mapped.kind not in (PUBLISHED, UNPUBLISHED):
        return mapped
    subject = mapped.subject or f"review:{mapped.payload['review_id']}"
    review_id = subject.removeprefix("review:")
    if mapped.kind == UNPUBLISHED:
        if len(delivery_id) > 128:  # keep the key within its column without merging deliveries
            delivery_id = "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
        key = f"{UNPUBLISHED}:{review_id}:{delivery_id}"
    else:
        flips = Event.select().where((Event.shop == shop_id) & (Event.subject == subject)
                                     & (Event.kind == UNPUBLISHED)).count()
        key = f"{PUBLISHED}:{review_id}" + (f":{flips}" if flips else "")
    return dataclasses.replace(mapped, business_key=key, subject=subject)
