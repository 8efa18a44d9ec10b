"""Reading request input the one way every endpoint does: a JSON object, else a clear 400; no NUL.

PostgreSQL cannot store a NUL character in text (SQLite would keep it), so text holding one is
refused at the door with a 400, the same on every backend, before anything is written.
"""

from __future__ import annotations

from flask import request
from marshmallow import Schema

from plugin.errors import LoyaltyError

NUL = "\x00"
REFUSED = "text may not contain NUL (\\u0000) characters"


class NulCharacter(LoyaltyError):
    code = "nul_character"


def holds_nul(value) -> bool:
    """True when a string anywhere in a parsed JSON value (keys included) holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def refuse_nul(values) -> None:
    """400 when any of the texts (a path, query or form values) holds a NUL character."""
    if any(NUL in value for value in values):
        raise NulCharacter(REFUSED)


def refuse_nul_in_url() -> None:
    """Every request: the path and the query string (app.before_request)."""
    refuse_nul([request.path, *request.args.keys(), *(v for _, v in request.args.items(multi=True))])


def json_object(schema: Schema | None = None) -> dict:
    """The body as a JSON object, loaded by ``schema`` when given (422 naming bad fields)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LoyaltyError("the body must be a JSON object")
    if holds_nul(body):
        raise NulCharacter(REFUSED)
    return schema.load(body) if schema is not None else body
