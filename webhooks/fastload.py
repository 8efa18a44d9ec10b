"""``schema.load`` for the common clean body at a fraction of marshmallow's cost.

The worker maps every stored delivery through a marshmallow schema, and marshmallow spends most of
that time on its own machinery (hooks, error stores, a nested load per money bag), not on the
checks. ``loader(schema)`` walks the schema once and returns a function that does the same checks
directly: the same fields read, the same defaults, the same types, the same validators. Anything it
is not sure of (a required field missing, a value of another type, a validator that fails, a field
kind it does not know) hands the body to ``schema.load`` itself, so what a bad body is told, and
every edge case, stays marshmallow's.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing


class _Unsure(Exception):
    """The fast path cannot vouch for this value: let marshmallow load the body."""


Convert = Callable[[Any], Any]


def loader(schema: Schema) -> Callable[[Any], dict]:
    """A function with ``schema.load``'s result for every body (and its ValidationError)."""
    fast = _schema(schema, schema.unknown)

    def load(body: Any) -> dict:
        if fast is not None:
            try:
                return fast(body)
            except _Unsure:
                pass
        return schema.load(body)

    return load


def _schema(schema: Schema, unknown: str | None) -> Convert | None:
    """The converter of a whole schema, or None when it has what the fast path does not cover."""
    if (schema.many or schema.partial or unknown != EXCLUDE or any(schema._hooks.values())
            or schema.dict_class is not dict):
        return None
    steps = []
    for name, field in schema.load_fields.items():
        key = field.attribute or name
        convert = _field(field)
        if convert is None or "." in key:
            return None
        steps.append((field.data_key if field.data_key is not None else name, key, field, convert))

    def convert_schema(data: Any) -> dict:
        if type(data) is not dict:
            raise _Unsure
        result = {}
        for data_key, key, field, convert in steps:
            value = data.get(data_key, missing)
            if value is missing:
                if field.required:
                    raise _Unsure
                default = field.load_default
                value = default() if callable(default) else default
                if value is not missing:
                    result[key] = value
                continue
            result[key] = convert(value)
        return result

    return convert_schema


def _field(field: fields.Field) -> Convert | None:
    """The converter of a value present in the body (None included), validators and all; None for
    a field that reads more than its own value (the whole schema is left to marshmallow)."""
    if isinstance(field, (fields.Method, fields.Function)):
        return None
    inner = None if field.pre_load or field.post_load else _inner(field)
    if inner is None:
        return _as_marshmallow(field)
    validators, allow_none = list(field.validators), field.allow_none

    def convert(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise _Unsure
        value = inner(value)
        for validator in validators:
            try:
                if validator(value) is False:
                    raise _Unsure
            except ValidationError:
                raise _Unsure from None
        return value

    return convert


def _inner(field: fields.Field) -> Convert | None:
    """What the field's ``_deserialize`` does with a value it accepts, raising _Unsure for any
    other; None for a field kind left to marshmallow."""
    kind = type(field)
    if kind is fields.Nested:
        if field.many or field.schema.many:
            return None
        return _schema(field.schema, field.unknown or field.schema.unknown)
    if kind is fields.List:
        item = _field(field.inner)
        if item is None:
            return None
        return lambda value: [item(each) for each in value] if type(value) is list else _unsure()
    if kind is fields.String:
        return lambda value: value if type(value) is str else _unsure()
    if kind is fields.Integer and field.strict:
        return lambda value: value if type(value) is int else _unsure()
    if kind is fields.Decimal and field.places is None and not field.allow_nan:
        return _decimal
    if kind is fields.Raw:
        return lambda value: value
    return None


def _decimal(value: Any) -> decimal.Decimal:
    if type(value) not in (str, int, decimal.Decimal):  # bool, float, lists...: marshmallow decides
        raise _Unsure
    try:
        number = decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        raise _Unsure from None
    if not number.is_finite():
        raise _Unsure
    return number


def _as_marshmallow(field: fields.Field) -> Convert:
    """A field kind the fast path does not know (dates, booleans, dicts...): its own deserialize,
    which checks None and runs its validators too."""

    def convert(value: Any) -> Any:
        try:
            return field.deserialize(value)
        except ValidationError:
            raise _Unsure from None

    return convert


def _unsure() -> Any:
    raise _Unsure
