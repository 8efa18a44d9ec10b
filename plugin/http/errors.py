"""Every error as one JSON shape (plugin.core.errors.body): the domain's LoyaltyError, marshmallow's
ValidationError, Werkzeug's HTTPException, and anything unexpected. ``render`` is the one mapping:
Flask's error handlers answer with it, and so does the webhook path that bypasses Flask
(webhooks.direct)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from plugin.core.errors import LoyaltyError, body, flatten

log = logging.getLogger(__name__)

Rendered = tuple[dict, int, list[tuple[str, str]]]


def render(error: BaseException) -> Rendered:
    """The JSON body, HTTP status and extra headers an error is answered with."""
    if isinstance(error, LoyaltyError):
        return body(error.code, error.message, error.fields), error.status, list(error.headers.items())
    if isinstance(error, ValidationError):
        fields = flatten(error.messages)
        return body("invalid", f"invalid fields: {', '.join(sorted(fields))}", fields), 422, []
    if isinstance(error, HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]  # e.g. Allow
        return body(code, error.description or error.name), error.code, headers
    log.exception("unhandled error", exc_info=error)
    return body("internal_error", "unexpected error; it has been logged"), 500, []


def init_app(app: Flask) -> None:
    def _handle(error: Exception):
        fields, status, headers = render(error)
        return jsonify(fields), status, headers

    for kind in (LoyaltyError, ValidationError, HTTPException, Exception):
        app.register_error_handler(kind, _handle)
