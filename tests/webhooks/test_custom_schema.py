"""The custom store's shapes as the OpenAPI document publishes them (JSON Schema in its
``webhooks`` section) and as the receiver reads them (marshmallow) say the same: the README's
examples fit both, hypothesis' valid bodies fit both, and a body with one field spoiled fits neither."""

from __future__ import annotations

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from marshmallow import ValidationError

from plugin.core.errors import flatten
from tests.helpers import fixture_json
from tests.webhooks.custom_bodies import bodies, spoiled
from webhooks.custom import payloads


@pytest.fixture
def validators(client) -> dict:
    """type -> a JSON Schema validator of that event's body, from the published document."""
    document = client.get("/api/openapi.json").get_json()
    out = {}
    for kind, operation in document["webhooks"].items():
        ref = operation["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        out[kind] = jsonschema_rs.Draft202012Validator({"$ref": ref, "components": document["components"]})
    return out


def test_every_type_is_published_with_the_standard_webhooks_headers(client):
    document = client.get("/api/openapi.json").get_json()
    assert set(document["webhooks"]) == set(payloads.TYPES)
    for operation in document["webhooks"].values():
        headers = {p["name"] for p in operation["post"]["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert {"200", "401", "422"} <= set(operation["post"]["responses"])


@pytest.mark.parametrize("kind", payloads.TYPES)
def test_the_readme_examples_fit_the_published_schema(validators, kind):
    body = fixture_json(f"custom/{kind}.json")
    validators[kind].validate(body)
    payloads.load(body)


def test_another_types_body_does_not_fit(validators):
    assert not validators[payloads.PAID].is_valid(fixture_json("custom/order.refunded.json"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_valid_bodies_fit_both(validators, body):
    assert validators[body["type"]].is_valid(body), list(validators[body["type"]].iter_errors(body))[:1]
    payloads.load(body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=spoiled())
def test_a_spoiled_field_fits_neither_and_is_named(validators, case):
    body, path = case
    assert not validators.get(body["type"], validators[payloads.PAID]).is_valid(body)
    with pytest.raises(ValidationError) as caught:
        payloads.load(body)
    assert path in flatten(caught.value.messages)
