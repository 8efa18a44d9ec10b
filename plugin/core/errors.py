"""One error vocabulary for every JSON endpoint: {"error": code, "message": text, "fields": {...}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class LoyaltyError(Exception):
    """An error the client can act on; ``status`` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] = {}

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields


class Unauthorized(LoyaltyError):
    status, code = 401, "unauthorized"


class NotFound(LoyaltyError):
    status, code = 404, "not_found"


class Invalid(LoyaltyError):
    status, code = 422, "invalid"


def body(code: str, message: str, fields: dict | None = None) -> dict:
    out = {"error": code, "message": message}
    if fields:
        out["fields"] = fields
    return out


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"line_items.0.price": ["Not a valid number."]}."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": messages}
        messages = dict(enumerate(messages))
    if prefix and messages and set(messages) <= {"key", "value"}:
        # a Dict field's entry: its key and value errors both belong to the entry's own path
        out = flatten(messages.get("key", []), prefix) if "key" in messages else {}
        return {**out, **flatten(messages["value"], prefix)} if "value" in messages else out
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def init_app(app: Flask) -> None:
    @app.errorhandler(LoyaltyError)
    def _loyalty(error: LoyaltyError):
        return jsonify(body(error.code, error.message, error.fields)), error.status, error.headers

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        fields = flatten(error.messages)
        names = ", ".join(sorted(fields))
        return jsonify(body("invalid", f"invalid fields: {names}", fields)), 422

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]  # e.g. Allow
        return jsonify(body(code, error.description or error.name)), error.code, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return jsonify(body("internal_error", "unexpected error; it has been logged")), 500
