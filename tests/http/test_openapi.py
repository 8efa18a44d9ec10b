"""The admin API's OpenAPI document: public, valid, complete, and schemathesis finds no 5xx behind it."""

from __future__ import annotations

import jsonschema_rs  # comes with schemathesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plugin.admin.openapi import API_PREFIX, openapi_path
from plugin.http.converters import MAX_ID
from tests.helpers import API_PROGRAM, admin_headers

CUSTOMER = "c-1"
BATCH = "welcome"
KNOWN = {"platform_id": CUSTOMER, "batch": BATCH, "number": 1}
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _document(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _api_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the app serves under /api/v1."""
    return {(method.lower(), openapi_path(rule.rule)) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(API_PREFIX) for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_document_is_public_and_a_valid_openapi_document(client):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(doc).validate()  # the OpenAPI 3.1 meta-schema; raises when invalid
    for name, component in doc["components"]["schemas"].items():  # which checks schema objects loosely
        assert jsonschema_rs.meta.is_valid(component), name


def test_every_admin_api_route_is_in_the_document(app, client):
    """A new route without @documented fails here, naming itself."""
    paths = _document(client)["paths"]
    documented = {(method, path) for path, operations in paths.items() for method in operations}
    assert _api_routes(app) - documented == set()
    assert documented - _api_routes(app) == set()


def test_operations_need_the_key_and_say_how_they_fail(client):
    doc = _document(client)
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "The shop's admin API key."}
    assert doc["security"] == [{"bearer": []}]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert {"400", "422"} <= set(operation["responses"]), (method, path)
    error = doc["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error", "message"]


def test_typed_path_parameters_query_schemas_and_csv_are_described(client):
    paths = _document(client)["paths"]
    number = paths["/api/v1/program/versions/{number}"]["get"]["parameters"][0]
    assert number == {"in": "path", "name": "number", "required": True,
                      "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
    ledger = {p["name"]: p for p in paths["/api/v1/customers/{platform_id}/ledger"]["get"]["parameters"]}
    assert ledger["limit"]["schema"] == {"type": "integer", "default": 50, "minimum": 1, "maximum": 500}
    csv = paths["/api/v1/activation-codes/{batch}.csv"]["get"]["responses"]["200"]
    assert csv["content"] == {"text/csv": {"schema": {"type": "string"}}}
    replace = paths["/api/v1/program"]["put"]
    assert replace["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProgramDocument"}
    assert set(replace["responses"]) == {"201", "400", "401", "422"}


@pytest.fixture
def seeded(app, client, shop) -> dict:
    """A shop with a program (tiers, a badge, an action), a code batch and a customer who used a code,
    all made through the API; answers the admin headers."""
    headers = admin_headers(app, shop)
    assert client.put("/api/v1/program", json=API_PROGRAM, headers=headers).status_code == 201
    assert client.post("/api/v1/activation-codes", json={"count": 2, "points": 40, "batch": BATCH},
                       headers=headers).status_code == 201
    code = client.get(f"/api/v1/activation-codes/{BATCH}.csv", headers=headers).get_data(as_text=True)
    first = code.splitlines()[1].split(",")[0]
    assert client.post("/api/v1/activation-codes/redeem", json={"code": first, "customer_id": CUSTOMER},
                       headers=headers).status_code == 201
    return headers


def _strategy(operation):
    """Valid and invalid cases; where the path names a row, also cases on the seeded rows."""
    known = {name: value for name, value in KNOWN.items() if f"{{{name}}}" in operation.path}
    cases = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if known:
        cases.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(cases)


def test_admin_api_answers_no_5xx_and_as_documented(app, seeded):
    """Every operation, fuzzed from the document: no 5xx, and statuses, content types and bodies
    as documented. Seeded (derandomize) and bounded so a CI run is repeatable and short."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=_strategy(operation))
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(headers=seeded, checks=CHECKS)

        try:
            run()
        except BaseExceptionGroup as error:  # schemathesis's failed checks: report every operation's
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


def test_a_cart_price_beyond_any_store_is_a_422_not_a_500(app, client, shop):
    """Found by the fuzzer: 1.6e308 overflowed the earning arithmetic's 28 digits."""
    cart = {"lines": [{"price": 1.6e308, "discount": 1.6e308}]}
    response = client.post("/api/v1/program/preview", json=cart, headers=admin_headers(app, shop))
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"lines.0.price", "lines.0.discount"}


@pytest.mark.parametrize("url, status", [
    ("/api/v1/program/versions/99999999999999999999", 404),
    ("/api/v1/referrals/99999999999999999999/approve", 404),
    ("/api/v1/events?before=99999999999999999999", 422),
])
def test_an_id_beyond_any_row_is_a_4xx_not_a_500(app, client, shop, url, status):
    """Found by the fuzzer: SQLite raised OverflowError on ids past 64 bits."""
    method = client.post if url.endswith("/approve") else client.get
    assert method(url, headers=admin_headers(app, shop)).status_code == status
