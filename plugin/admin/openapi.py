"""The admin API's OpenAPI document, built by apispec from the marshmallow schemas each view declares.

A view says what it reads and answers with ``@documented(...)``; the document walks the app's URL
map, so a route's path, parameters and methods come from the route itself and cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus
from importlib.metadata import version

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from marshmallow import Schema, fields
from werkzeug.routing import IntegerConverter, PathConverter

from webhooks.custom import payloads as custom_events

bp = Blueprint("openapi", __name__, url_prefix="/api")

API_PREFIX = "/api/v1/"
JSON = "application/json"
OPENAPI_VERSION = "3.1.0"
_DOC_ATTR = "_openapi"
_RULE_PARAM = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(?P<name>\w+)>")
DECIMAL = r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$"  # str(Decimal): "12.50", "1E+3"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
_ERRORS = {
    400: "The body is not a JSON object, or a text (path, query, body) holds a NUL character.",
    401: "No valid shop API key in `Authorization: Bearer <key>`.",
    404: "No such resource in this shop.",
    409: "Conflicts with what was done before (the message says what).",
    422: "Invalid input; `fields` names each bad field.",
}


class ErrorOut(Schema):
    """The one error shape of every JSON endpoint (plugin/core/errors.py)."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


@dataclass(frozen=True)
class Operation:
    summary: str
    query: type[Schema] | None
    body: type[Schema] | None
    body_required: bool
    response: type[Schema] | None
    status: int
    also: tuple[int, ...]
    content: str
    errors: tuple[int, ...]
    accepts: str
    headers: tuple[tuple[str, tuple], ...]


def documented(summary: str, *, query: type[Schema] | None = None, body: type[Schema] | None = None,
               body_required: bool = True, response: type[Schema] | None = None, status: int = 200,
               also: tuple[int, ...] = (), content: str = JSON, errors: tuple[int, ...] = (),
               accepts: str = JSON, headers: dict[str, dict] | None = None):
    """Declare a view's query, body and answer for the document; ``also``: more success statuses
    with the same answer (a retry's 200), ``errors``: statuses beyond those the route implies,
    ``accepts``: a raw body's media type (a CSV file), ``headers``: required headers' schemas."""
    frozen_headers = tuple((name, tuple(schema.items())) for name, schema in (headers or {}).items())
    operation = Operation(summary, query, body, body_required, response, status, also, content, errors,
                          accepts, frozen_headers)

    def mark(view):
        setattr(view, _DOC_ATTR, operation)
        return view

    return mark


def operation_of(view) -> Operation | None:
    return getattr(view, _DOC_ATTR, None)


def openapi_path(rule: str) -> str:
    """A werkzeug rule as an OpenAPI path: /customers/<platform_id> becomes /customers/{platform_id}."""
    return _RULE_PARAM.sub(r"{\g<name>}", rule)


def _path_schema(converter) -> dict:
    """What a werkzeug converter matches: a bounded integer, any path, or one path segment."""
    if isinstance(converter, IntegerConverter):
        low = converter.min if converter.min is not None or converter.signed else 0
        bounds = {"minimum": low, "maximum": converter.max}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if isinstance(converter, PathConverter):
        return {"type": "string", "minLength": 1}
    return {"type": "string", "pattern": "^[^/]+$"}


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _decimal_as_string(self, field, ret: dict, **kwargs) -> dict:
    """Decimal bounds as JSON numbers; as_string fields dump strings and load numbers or strings."""
    if not isinstance(field, fields.Decimal):
        return {}
    # apispec writes bounds as the field dumps them: strings for as_string fields
    out = {key: _json_number(Decimal(str(ret[key]))) for key in ("minimum", "maximum") if key in ret}
    if field.as_string:
        nullable = ["null"] if "null" in (ret.get("type") or []) else []
        out.update(type=["string", "number", *nullable], pattern=DECIMAL)
        if isinstance(ret.get("default"), Decimal):
            out["default"] = str(ret["default"])
    return out


def _utc_timestamps(self, field, ret: dict, **kwargs) -> dict:
    """Stored times are UTC without a zone (plugin/core/clock.py), so answers carry no offset:
    "date-time" (which requires one) would be untrue; aware inputs keep it."""
    if not isinstance(field, fields.DateTime) or isinstance(field, fields.AwareDateTime):
        return {}
    ret.pop("format", None)
    return {"pattern": TIMESTAMP, "description": "ISO 8601 in UTC; no offset means UTC"}


def _dict_sizes(self, field, ret: dict, **kwargs) -> dict:
    """A Length validator on a Dict bounds its number of entries, not a string's length."""
    if not isinstance(field, fields.Dict):
        return {}
    renamed = {"minLength": "minProperties", "maxLength": "maxProperties"}
    return {new: ret.pop(old) for old, new in renamed.items() if old in ret}


def _responses(op: Operation, has_path_params: bool) -> dict:
    if op.content != JSON:
        body = {"content": {op.content: {"schema": {"type": "string"}}}}
    elif op.response is not None:
        body = {"content": {JSON: {"schema": op.response}}}
    else:
        body = {}
    out = {code: {"description": HTTPStatus(code).phrase + ".", **body} for code in (op.status, *op.also)}
    has_body = op.body is not None or op.accepts != JSON
    implied = {400, 401} | ({404} if has_path_params else set()) | ({422} if op.query or has_body else set())
    implied |= {422} if op.headers else set()  # 400 for all: any path or query may hold a NUL
    for status in sorted(implied | set(op.errors)):
        out[status] = {"description": _ERRORS[status],
                       "content": {JSON: {"schema": ErrorOut}}}
    return out


def _operation(op: Operation, endpoint: str, path: str, params: list[dict], description: str) -> dict:
    out = {
        "operationId": endpoint, "summary": op.summary, "tags": [path.removeprefix(API_PREFIX).split("/")[0]],
        "parameters": params + [{"in": "header", "name": name, "required": True, "schema": dict(schema)}
                                for name, schema in op.headers]
        + ([{"in": "query", "schema": op.query}] if op.query else []),
        "responses": _responses(op, bool(params)),
    }
    if description:
        out["description"] = description
    if op.body is not None or op.accepts != JSON:
        schema = op.body if op.accepts == JSON else {"type": "string"}
        out["requestBody"] = {"required": op.body_required, "content": {op.accepts: {"schema": schema}}}
    return out


def build(app: Flask) -> dict:
    """The document for every documented route under /api/v1 (a test lists undocumented ones)."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Loyalty admin API", version=version("loyalty-plugin"),
                   openapi_version=OPENAPI_VERSION, plugins=[plugin],
                   info={"description": "The store owner's API; every query is scoped to the key's shop."},
                   security=[{"bearer": []}])
    plugin.converter.add_attribute_function(_decimal_as_string)
    plugin.converter.add_attribute_function(_dict_sizes)
    plugin.converter.add_attribute_function(_utc_timestamps)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "The shop's admin API key."})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions[rule.endpoint]
        op = operation_of(view)
        if not rule.rule.startswith(API_PREFIX) or op is None:
            continue
        path = openapi_path(rule.rule)
        params = [{"in": "path", "name": m["name"], "required": True,
                   "schema": _path_schema(rule._converters[m["name"]])}  # werkzeug keeps them private
                  for m in _RULE_PARAM.finditer(rule.rule)]
        description = (view.__doc__ or "").strip()
        spec.path(path=path, operations={
            method.lower(): _operation(op, rule.endpoint.rpartition(".")[2], path, params, description)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})})
    for schema in custom_events.EVENTS.values():
        spec.components.schema(schema.__name__, schema=schema)
    document = spec.to_dict()
    document["webhooks"] = custom_webhooks()
    return document


#: What a custom store sends with each event (Standard Webhooks), as the receiver reads them.
_STANDARD_HEADERS = (
    ("webhook-id", "the delivery's unique id: a delivery sent again with it is stored once"),
    ("webhook-timestamp", "unix seconds when it was sent; more than five minutes off is a 401"),
    ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> with the shop's webhook secret"),
)
_WEBHOOK_ANSWERS = {
    200: "Stored (`accepted`), or a duplicate of a delivery stored before (`duplicate`).",
    400: "The body is not a JSON object.",
    401: "Unknown shop, or the signature does not verify (wrong secret, stale timestamp).",
    413: "The body is larger than the app accepts.",
    422: "The body does not fit this schema; `fields` names each bad field by its path.",
}


def custom_webhooks() -> dict:
    """The OpenAPI 3.1 ``webhooks`` section: each event a custom store POSTs to
    ``/webhooks/custom/<domain>``, its body the JSON Schema of webhooks.custom.payloads."""
    parameters = [{"in": "header", "name": name, "required": True, "description": text,
                   "schema": {"type": "string"}} for name, text in _STANDARD_HEADERS]
    return {kind: {"post": {
        "operationId": "custom_" + kind.replace(".", "_"),
        "summary": f"{kind} (version {custom_events.VERSION}), POSTed to /webhooks/custom/{{domain}}",
        "description": (schema.__doc__ or "").strip(),
        "parameters": parameters, "security": [],  # signed with the shop's webhook secret instead
        "requestBody": {"required": True, "content": {JSON: {"schema": {
            "$ref": f"#/components/schemas/{schema.__name__}"}}}},
        "responses": {str(code): {"description": text} for code, text in _WEBHOOK_ANSWERS.items()},
    }} for kind, schema in custom_events.EVENTS.items()}


@bp.get("/openapi.json")
def openapi_document():
    """Public: the document describes the API, it opens nothing (every operation needs the key)."""
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build(current_app)
    return jsonify(document)
