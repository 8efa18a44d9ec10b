"""Reading a JSON request body the one way every endpoint does: an object, else a clear 400."""

from __future__ import annotations

from flask import request
from marshmallow import Schema

from plugin.errors import LoyaltyError


def json_object(schema: Schema | None = None) -> dict:
    """The body as a JSON object, loaded by ``schema`` when given (422 naming bad fields)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LoyaltyError("the body must be a JSON object")
    return schema.load(body) if schema is not None else body
