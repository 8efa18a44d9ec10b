"""Tolerant readers: the few keys a receiver needs to store a delivery, read without a schema.

A reader takes any JSON value and either returns the keys or raises ``Unreadable`` naming the
path; the receiver then stores the delivery as invalid under its delivery id. The full mapping
(marshmallow) runs in the worker, from the stored raw body.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from plugin.core import jsonbody
from webhooks.mapped import MAX_ID

#: Opaque text ids: ':' and '#' separate the parts of ledger keys; NUL and lone surrogates
#: cannot be stored as text.
TEXT_ID = re.compile(r"^[^\s:#\x00\ud800-\udfff]{1,56}$")
#: What a text column cannot hold: PostgreSQL text has no NUL, UTF-8 has no lone surrogate.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Unreadable(Exception):
    """A key needed to store the delivery is missing or of the wrong kind."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")


def field(body: Any, path: str) -> Any:
    """The value at a dotted path, None when absent; Unreadable when a step is not an object."""
    value, walked = body, []
    for part in path.split("."):
        if not isinstance(value, dict):
            raise Unreadable(".".join(walked) or "body", "must be a JSON object")
        walked.append(part)
        value = value.get(part)
    return value


def whole_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def platform_id(body: Any, path: str) -> str:
    """A positive 64-bit integer id (Shopify's), as exact text."""
    value = field(body, path)
    if not whole_id(value):
        raise Unreadable(path, f"must be a whole number from 1 to {MAX_ID}")
    return str(value)


def opaque_id(body: Any, path: str) -> str:
    """An id given as a positive 64-bit integer or as short text (review apps send either)."""
    value = field(body, path)
    if whole_id(value):
        return str(value)
    if isinstance(value, str) and TEXT_ID.match(value):
        return value
    raise Unreadable(path, "must be a positive whole number or 1-56 characters without spaces, ':' or '#'")


def shown(value: Any) -> str:
    """A value from a body, safe to put in a stored note (no NUL, no lone surrogate, short)."""
    if isinstance(value, str) and value.isprintable() and len(value) <= 40:
        return value
    return repr(value)[:60]


def parse(raw: bytes) -> dict:
    """The body as a JSON object (floats as Decimal, never float; stored as text: UTF-8 only),
    nested at most jsonbody.MAX_DEPTH deep: else a 400, before any signature check that needs it."""
    return jsonbody.loads_object(raw, parse_float=Decimal, surrogates=True)


def storable(raw: bytes) -> str:
    """The raw body as text a database stores: exact for any UTF-8 body (JSON spells NUL and
    surrogates as ASCII escapes); bytes that are not UTF-8, or a literal NUL, which only a body
    that is not JSON holds (so it stays invalid), become U+FFFD."""
    text = raw.decode("utf-8", "replace")  # UTF-8 decodes to no lone surrogate: only NUL is left
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
