"""webhooks.fastload: the same result as marshmallow's ``schema.load`` for every body, clean or not."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from tests.helpers import FIXTURES, fixture_json
from webhooks import fastload
from webhooks.shopify import payloads

SCHEMAS = [payloads.OrderBody(), payloads.RefundBody(), payloads.CustomerBody(), payloads.CancelBody()]
JUNK = [None, "", "x", "12.50", " 7 ", "NaN", "-Infinity", 0, -1, 10**13, True, False, 1.5, Decimal("2.5"),
        Decimal("NaN"), [], [{}], {}, {"amount": "1"}]


def bodies() -> list[dict]:
    """Every recorded Shopify body, and the object a GET response wraps (``{"order": {...}}``)."""
    out = []
    for path in sorted((FIXTURES / "shopify").glob("*.json")):
        body = fixture_json(f"shopify/{path.name}")
        if isinstance(body, dict):
            out.append(body)
            out += [inner for inner in body.values() if isinstance(inner, dict) and len(body) == 1]
    return out


def outcome(load, body):
    try:
        return "loaded", load(body)
    except ValidationError as exc:
        return "invalid", exc.messages


def leaves(value, path=()):
    """Paths to every value in a body (containers too), at most the first 3 items of a list."""
    items = (value.items() if isinstance(value, dict)
             else enumerate(value[:3]) if isinstance(value, list) else ())
    for key, item in items:
        yield (*path, key)
        yield from leaves(item, (*path, key))


def replaced(body, path, value):
    copied = copy.deepcopy(body)
    target = copied
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copied


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
def test_recorded_bodies_load_as_marshmallow_loads_them(schema):
    fast = fastload.loader(schema)
    for body in bodies():
        assert outcome(fast, body) == outcome(schema.load, body)


SPOILED = [(payloads.OrderBody(), "rest2025-07_order_450789469__GET_orders_450789469.json"),
           (payloads.OrderBody(), "multicurrency_order_6134457074006.json"),
           (payloads.RefundBody(), "rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"),
           (payloads.CustomerBody(), "rest2025-07_customer_created__POST_customers.json")]


def declared(schema, names=None) -> set[str]:
    """Every field name a schema reads, nested schemas' too."""
    names = set() if names is None else names
    for name, field in schema.load_fields.items():
        names.add(field.data_key or name)
        inner = getattr(field, "inner", field)
        if hasattr(inner, "schema") and inner.schema is not schema:
            declared(inner.schema, names)
    return names


@pytest.mark.parametrize(("schema", "name"), SPOILED, ids=[name[:40] for _, name in SPOILED])
def test_every_value_spoiled_in_turn_loads_or_fails_as_marshmallow_says(schema, name):
    """Each value the schema reads in a recorded body replaced by junk of every type, or left
    out: the fast loader returns what marshmallow returns, or raises its very errors."""
    fast, read = fastload.loader(schema), declared(schema)
    body = fixture_json(f"shopify/{name}")
    body = body[next(iter(body))] if len(body) == 1 else body
    for path in leaves(body):
        if any(isinstance(key, str) and key not in read for key in path):
            continue
        for value in (*JUNK, KeyError):
            spoiled = replaced(body, path, value)
            assert outcome(fast, spoiled) == outcome(schema.load, spoiled), (path, value)


def test_a_schema_with_hooks_is_left_to_marshmallow():
    from marshmallow import Schema, fields, post_load

    class Hooked(Schema):
        n = fields.Integer(strict=True)

        @post_load
        def double(self, data, **kwargs):
            return {"n": data["n"] * 2}

    assert fastload.loader(Hooked())({"n": 2}) == {"n": 4}
