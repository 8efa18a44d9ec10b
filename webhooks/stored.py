"""A stored delivery's two readings: its keys (on the request) and its canonical payload (in the
worker, and again when the owner retries an invalid one). Both come from the raw body alone, so a
retry after a fix reads exactly what the platform sent.
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import ValidationError

from plugin.core.errors import flatten
from plugin.core.jsonbody import MalformedJson, bad_text, bad_texts
from plugin.core.status import EventStatus
from webhooks.mapped import Mapped, invalid, unknown
from webhooks.readers import UNSTORABLE, Unreadable, parse
from webhooks.topics import REGISTRY


def body_of(raw: bytes) -> dict | Mapped:
    """The parsed body, or an invalid reading saying why it is not a JSON object."""
    try:
        return parse(raw)
    except MalformedJson as exc:
        return invalid(f"body: {exc.message.removeprefix('body ')}")


def keys(platform: str, topic: str, body: Any) -> Mapped:
    """What stores the delivery once (kind, business key, subject), read tolerantly; an unknown
    topic is ignored, unreadable keys make it invalid."""
    entry = REGISTRY[platform].get(topic)
    if entry is None:
        return unknown(topic)
    try:
        return entry.read(body)
    except Unreadable as exc:
        return invalid(str(exc))


def read(platform: str, topic: str, raw: bytes) -> Mapped:
    body = body_of(raw)
    return body if isinstance(body, Mapped) else keys(platform, topic, body)


def mapped(platform: str, topic: str, raw_body: str) -> Mapped:
    """The stored raw body mapped to its canonical payload, or invalid with the field paths."""
    body = body_of(raw_body.encode("utf-8"))
    if isinstance(body, Mapped):
        return body
    entry = REGISTRY[platform].get(topic)
    if entry is None:
        return unknown(topic)
    try:
        result = entry.map(body)
    except ValidationError as exc:
        return invalid("; ".join(f"{path}: {' '.join(map(str, reasons))}"
                                 for path, reasons in flatten(exc.messages).items()))
    except UnicodeEncodeError:  # a lone surrogate reached a mapper that encodes (hashing an IP)
        result = None
    if result is not None and (result.status == EventStatus.INVALID or not _may_be_unstorable(result.payload)
                               or not bad_text(result.payload, nul=True)):
        return result
    paths = sorted(dict.fromkeys(path for path, _ in bad_texts(body, nul=True)))
    return invalid(f"{', '.join(paths[:5]) or 'body'}: text holds a NUL or a lone surrogate")


def _may_be_unstorable(payload: dict | None) -> bool:
    """One C-speed pass for the common clean payload: JSON spells NUL as an escape and keeps
    surrogates (ensure_ascii off); only a hit costs the walk that names the paths."""
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return "\\u0000" in text or UNSTORABLE.search(text) is not None

