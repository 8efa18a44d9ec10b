"""Parsing JSON from outside, the one way every API endpoint and webhook receiver does, with bounds.

``json.loads`` recurses once per level of nesting, so ``[`` x 10000 raised RecursionError (a 500):
the depth is bounded here, explicitly (MAX_DEPTH): a body that fails to parse is scanned for it, one
that parses has its containers walked (cheaper than scanning the text of every body first).
Strings must be text every backend can store: a lone surrogate (``"\\ud800"``) cannot be encoded
as UTF-8 (I-JSON, RFC 7493, forbids it), and NaN or Infinity are not JSON at all. No Flask here:
``plugin.http.bodies`` (the API) and ``webhooks.receiving`` (the receivers) both call ``loads_object``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from itertools import accumulate

from plugin.core.errors import LoyaltyError

MAX_DEPTH = 64
NUL = "\x00"
REFUSED = "text may not contain NUL (\\u0000) characters"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string literal, escapes included
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class MalformedJson(LoyaltyError):
    status, code = 400, "malformed_json"


class NulCharacter(LoyaltyError):
    code = "nul_character"


def nests_deeper(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside string literals nest deeper than ``limit`` (linear, in C loops)."""
    if text.count("[") + text.count("{") <= limit:  # most bodies: no scan needed
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return bool(brackets) and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


def _deeper(value, limit: int) -> bool:
    """True when objects and arrays nest deeper than ``limit`` in a value json.loads made (as
    ``nests_deeper`` says of its text): level by level, containers only."""
    level = [value]
    for _ in range(limit):
        level = [item for container in level
                 for item in (container.values() if type(container) is dict else container)
                 if type(item) is dict or type(item) is list]
        if not level:
            return False
    return True


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON number")


def bad_texts(value, path: str = "", *, nul: bool = False) -> Iterator[tuple[str, str]]:
    """(path, reason) of every string (key or value) that cannot be stored as text: a lone
    surrogate, and with ``nul`` a NUL (PostgreSQL text has none)."""
    if isinstance(value, str):
        if nul and NUL in value:
            yield path, "nul"
            return
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield path, "surrogate"
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str):
            yield from bad_texts(key, where, nul=nul)
        yield from bad_texts(item, where, nul=nul)


def bad_text(value, path: str = "", *, nul: bool = False) -> tuple[str, str] | None:
    """The first of ``bad_texts``, else None."""
    return next(bad_texts(value, path, nul=nul), None)


def loads_object(raw: bytes | str, *, parse_float: Callable = float, nul: bool = False,
                 surrogates: bool = False) -> dict:
    """The text as a JSON object, else MalformedJson (400); with ``nul``, a NUL anywhere is a 400 too.
    ``surrogates`` lets lone surrogates through, for a caller that names them by field where it maps
    (a signed webhook is stored and marked invalid, never refused)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"body is not valid JSON: {exc}") from None
    try:  # parsed first, its depth checked after: a scan of the text costs twice the parse
        body = json.loads(text, parse_float=parse_float, parse_constant=_not_json)
    except (ValueError, RecursionError) as exc:  # too deep (either way) says so before anything else
        if nests_deeper(text):
            raise MalformedJson(f"body is not valid JSON: nested deeper than {MAX_DEPTH} levels") from None
        if isinstance(exc, json.JSONDecodeError):
            raise MalformedJson(f"body is not valid JSON: {exc}",
                                fields={f"line {exc.lineno}, column {exc.colno}": [exc.msg]}) from None
        raise MalformedJson(f"body is not valid JSON: {exc}") from None  # NaN, Infinity, 4300+ digits
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper(body, MAX_DEPTH):
        raise MalformedJson(f"body is not valid JSON: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(body, dict):
        raise MalformedJson("body must be a JSON object")
    found = bad_text(body, nul=nul) if nul or (not surrogates and _SURROGATE_ESCAPE.search(text)) else None
    if found and found[1] == "nul":
        raise NulCharacter(REFUSED, fields={found[0]: ["NUL"]})
    if found:
        raise MalformedJson("body is not valid JSON: a lone surrogate is not text",
                            fields={found[0]: ["lone surrogate"]})
    return body
