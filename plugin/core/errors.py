"""One error vocabulary for every JSON endpoint: {"error": code, "message": text, "fields": {...}}.

The exception classes the domain raises, and the body they answer with; plugin.http.errors turns
them into responses (no Flask here)."""

from __future__ import annotations


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


class Unread(Exception):
    """An event whose content is still to be read from its platform (plugin.pipeline.fetching
    retries it): an Ecwid notice, a WooCommerce snapshot whose refunds were not read yet."""


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
