"""Parsing JSON from outside, the one way every API endpoint and webhook receiver does, with bounds.

``json.loads`` recurses once per level of nesting, so ``[`` x 10000 raised RecursionError (a 500):
the depth is bounded here, explicitly (MAX_DEPTH), by a scan of the text before it is parsed.
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
_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the byte it escapes
_NOT_BRACKET_OR_QUOTE = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SQUARE = bytes.maketrans(b"{}", b"[]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class MalformedJson(LoyaltyError):
    status, code = 400, "malformed_json"


class NulCharacter(LoyaltyError):
    code = "nul_character"


def nests_deeper(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when brackets outside string literals nest deeper than ``limit``. Linear and in C
    loops: escapes dropped, then everything but brackets and quotes, then every two adjacent
    quotes (which keeps every other quote's parity: most strings hold no bracket and vanish);
    what lies between a pair of the quotes left was a string. The brackets left are then peeled,
    innermost pairs first: a well-formed text of depth d is gone after d passes. Only text that is
    deep or not well formed walks its brackets one by one. (A regex matching whole string literals
    cost 190 µs on an 8 KiB order; the walk of its brackets 20; this, 12.)"""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if b"\\" in raw:
        raw = _ESCAPE.sub(b"", raw)
    shapes = raw.translate(None, _NOT_BRACKET_OR_QUOTE)
    if len(shapes) - shapes.count(b'"') <= limit:  # fewer brackets than the limit: no deeper
        return False
    brackets = b"".join(shapes.replace(b'""', b"").split(b'"')[::2])
    peeled = brackets.translate(_SQUARE)
    for _ in range(limit):
        peeled = peeled.replace(b"[]", b"")
        if not peeled:
            return False
    return bool(brackets) and max(accumulate(map(_STEP.__getitem__, brackets))) > limit


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


def _may_hold_bad_text(raw: bytes | str, text: str, nul: bool, surrogates: bool) -> bool:
    """Whether the walk of ``bad_texts`` may find what the call refuses: in JSON decoded from UTF-8
    bytes a NUL or a lone surrogate can only be written as a \\u escape, and most bodies have
    neither (a str handed in may hold a raw surrogate: with ``nul`` it is walked, as before)."""
    if not nul:
        return not surrogates and bool(_SURROGATE_ESCAPE.search(text))
    return isinstance(raw, str) or "\\u0000" in text or bool(_SURROGATE_ESCAPE.search(text))


def loads_object(raw: bytes | str, *, parse_float: Callable = float, nul: bool = False,
                 surrogates: bool = False) -> dict:
    """The text as a JSON object, else MalformedJson (400); with ``nul``, a NUL anywhere is a 400 too.
    ``surrogates`` lets lone surrogates through, for a caller that names them by field where it maps
    (a signed webhook is stored and marked invalid, never refused)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"body is not valid JSON: {exc}") from None
    if nests_deeper(raw):
        raise MalformedJson(f"body is not valid JSON: nested deeper than {MAX_DEPTH} levels")
    try:
        body = json.loads(text, parse_float=parse_float, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"body is not valid JSON: {exc}",
                            fields={f"line {exc.lineno}, column {exc.colno}": [exc.msg]}) from None
    except ValueError as exc:  # NaN, Infinity, an integer of more than 4300 digits
        raise MalformedJson(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedJson("body must be a JSON object")
    found = bad_text(body, nul=nul) if _may_hold_bad_text(raw, text, nul, surrogates) else None
    if found and found[1] == "nul":
        raise NulCharacter(REFUSED, fields={found[0]: ["NUL"]})
    if found:
        raise MalformedJson("body is not valid JSON: a lone surrogate is not text",
                            fields={found[0]: ["lone surrogate"]})
    return body
