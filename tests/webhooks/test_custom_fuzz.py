"""Whatever a custom store sends, signed or not, the receiver answers without a 5xx, and a 4xx
stores nothing."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.core.db import session
from plugin.core.models import Event
from tests.webhooks.custom_bodies import bodies, spoiled

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
RAW = st.one_of(
    bodies().map(lambda body: json.dumps(body, ensure_ascii=False).encode()),
    spoiled().map(lambda case: json.dumps(case[0]).encode()),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries({"type": st.sampled_from(["order.paid", "order.refunded", "x"]), "data": JSON,
                           "timestamp": st.text(max_size=30)}).map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=64),
)


def count() -> int:
    with session():
        return Event.select().count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=RAW, signed=st.booleans())
def test_no_5xx_and_a_4xx_changes_nothing(post_custom, raw, signed):
    before = count()
    response = post_custom(raw, secret=None if signed else "another secret")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert count() == before
        assert response.is_json and response.get_json()["error"]
    else:
        assert signed and count() - before in (0, 1)
