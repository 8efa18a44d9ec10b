"""Who the widget's shopper is: app proxy signatures, customer tokens, and CORS by origin."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs

import pytest
from marshmallow import ValidationError

from plugin.program import document
from plugin.program.document import DEFAULT
from tests.helpers import fixture_json
from widgets import identity

VECTORS = fixture_json("shopify/hmac_vectors.json")["app_proxy_signature"]


def test_app_proxy_vector_with_one_byte_changed_fails():
    vector = VECTORS[0]
    params = parse_qs(vector["query"].replace("customer_id=1", "customer_id=2"), keep_blank_values=True)
    assert not identity.proxy_signature_valid(vector["secret"], params, vector["expected_hex"])


@pytest.mark.parametrize("days", [1, 365])
def test_a_maximum_token_lifetime_of_a_day_to_a_year_is_the_shops_setting(days):
    loaded = document.load({**copy.deepcopy(DEFAULT), "customer_token_max_days": days})
    assert loaded["customer_token_max_days"] == days
    assert document.load(copy.deepcopy(DEFAULT))["customer_token_max_days"] == 30


@pytest.mark.parametrize("days", [0, 366, "30"])
def test_a_maximum_token_lifetime_beyond_a_year_or_below_a_day_is_refused_by_name(days):
    with pytest.raises(ValidationError) as raised:
        document.load({**copy.deepcopy(DEFAULT), "customer_token_max_days": days})
    assert "customer_token_max_days" in raised.value.messages


