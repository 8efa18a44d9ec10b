"""Input beyond every bound is a 4xx naming what is wrong, the same on both backends, and writes nothing.

Nested JSON (``[`` x 10000) raised RecursionError, a 500, wherever a body was parsed; dates at the
edge of time overflowed the date arithmetic; amounts of 10^400 passed the program's schema.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.core import jsonbody


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_not():
    deep = '{"a":' * (jsonbody.MAX_DEPTH - 1) + '["[{\\"x"]' + "}" * (jsonbody.MAX_DEPTH - 1)
    assert jsonbody.loads_object(deep)
    with pytest.raises(jsonbody.MalformedJson):
        jsonbody.loads_object('{"a":' * jsonbody.MAX_DEPTH + "[1]" + "}" * jsonbody.MAX_DEPTH)



_TEXTS = st.text(st.sampled_from('a\x00я\udc00\\"u0'), max_size=6)  # a lone low surrogate never pairs
_VALUES = st.recursive(st.none() | st.integers() | _TEXTS,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXTS, inner, max_size=3),
                       max_leaves=10)


@given(st.dictionaries(_TEXTS, _VALUES, max_size=4), st.booleans())
def test_a_body_is_refused_exactly_when_a_text_in_it_cannot_be_stored(body, ascii_only):
    """The walk over every text is skipped for bodies with no \\u escape that could write one."""
    try:
        raw = json.dumps(body, ensure_ascii=ascii_only).encode()
    except UnicodeEncodeError:  # a lone surrogate is not UTF-8: only escaped can it be sent
        raw = json.dumps(body).encode()
    found = jsonbody.bad_text(body, nul=True)
    if found is None:
        assert jsonbody.loads_object(raw, nul=True) == body
    else:
        refused = jsonbody.NulCharacter if found[1] == "nul" else jsonbody.MalformedJson
        with pytest.raises(refused) as raised:
            jsonbody.loads_object(raw, nul=True)
        assert found[0] in raised.value.fields


def _depth_by_hand(text: str) -> tuple[int, bool]:
    """The deepest nesting of brackets outside strings, walked one character at a time, up to a
    backslash outside a string (where any JSON parser stops), and whether there was one."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
        elif ch == "\\":
            return deepest, True
    return deepest, False


_PIECES = st.sampled_from(['[', ']', '{', '}', '"', '\\', '\\"', '\\\\', 'a', 'я', '"[[', ':', ','])


@given(st.lists(_PIECES, max_size=200), st.integers(0, 40))
def test_the_depth_scan_agrees_with_a_walk_by_hand(pieces, limit):
    """The scan drops escapes and string contents in C loops; it must judge any text as a walk one
    character at a time does, up to a stray backslash (past which no parser reads, so the scan
    may only err on the side of refusing)."""
    text = "".join(pieces)
    deepest, stray = _depth_by_hand(text)
    for given_as in (text, text.encode()):
        verdict = jsonbody.nests_deeper(given_as, limit)
        assert verdict is (deepest > limit) or (stray and verdict and deepest <= limit)


_BRACKETY = st.text(st.sampled_from('[]{}"\\aя:,'), max_size=4)
_NESTED = st.recursive(st.none() | st.integers() | _BRACKETY,
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_BRACKETY, inner, max_size=3),
                       max_leaves=40)


def _depth(value) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(_depth, children), default=0)


@given(_NESTED, st.integers(0, 12), st.booleans())
def test_the_depth_of_any_json_text_is_judged_exactly(value, limit, ascii_only):
    """Well-formed text takes the peeling path (innermost pairs dropped, pass after pass); strings
    full of brackets, quotes and backslashes must not count."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert jsonbody.nests_deeper(text, limit) is (_depth(value) > limit)
    assert jsonbody.nests_deeper(text.encode(), limit) is (_depth(value) > limit)
