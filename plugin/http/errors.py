"""The handlers that turn every error into one JSON shape (plugin.core.errors.body): the domain's
LoyaltyError, marshmallow's ValidationError, Werkzeug's HTTPException, and anything unexpected."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from plugin.core.errors import LoyaltyError, body, flatten

log = logging.getLogger(__name__)


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
