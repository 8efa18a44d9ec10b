"""Hypothesis strategies that put any JSON value anywhere in a recorded payload: a platform's
signed delivery must be answered 2xx and applied whole or not at all, whatever it holds."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import strategies as st

LEAVES = (st.none() | st.booleans() | st.integers(min_value=-2**80, max_value=2**80)
          | st.text(max_size=12) | st.sampled_from(["1e999999999", "NaN", "-0", "\u0000", "\ud800", "10.00"]))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def paths(value, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into a JSON value (the empty path first)."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from paths(item, (*prefix, key))
