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

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validate


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
    """The converter of a whole schema, or None when it has what the fast path does not cover.

    It is written as one Python function per schema (the fields' reads, checks and defaults
    inline, a nested schema called directly): a loop over the fields calling a converter per value
    cost most of the mapping's time.
    """
    if (schema.many or schema.partial or unknown != EXCLUDE or any(schema._hooks.values())
            or schema.dict_class is not dict):
        return None
    env: dict[str, Any] = {"_Unsure": _Unsure, "ValidationError": ValidationError, "missing": missing}
    lines = ["def convert_schema(data):", "    if type(data) is not dict:", "        raise _Unsure",
             "    result = {}", "    get = data.get"]
    for n, (name, field) in enumerate(schema.load_fields.items()):
        key = field.attribute or name
        code = _field_code(field, n, env)
        if code is None or "." in key:
            return None
        env[f"key{n}"] = key
        env[f"data_key{n}"] = field.data_key if field.data_key is not None else name
        lines += [f"    value = get(data_key{n}, missing)", "    if value is missing:"]
        if field.required:
            lines.append("        raise _Unsure")
        else:
            env[f"default{n}"] = default = field.load_default
            lines += [f"        value = default{n}()" if callable(default) else f"        value = default{n}",
                      "        if value is not missing:", f"            result[key{n}] = value"]
        lines += ["    else:", *(f"        {line}" for line in code)]
    lines.append("    return result")
    exec("\n".join(lines), env)  # noqa: S102 - our own source, built from the schema's fields
    return env["convert_schema"]


def _field_code(field: fields.Field, n: int, env: dict[str, Any]) -> list[str] | None:
    """Lines that set ``result[key<n>]`` from a present ``value`` as ``_field(field)`` would (its
    None check, conversion and validators written out); None for a field that reads more than its
    own value."""
    if isinstance(field, (fields.Method, fields.Function)):
        return None
    inner = None if field.pre_load or field.post_load else _inner(field)
    if inner is None:
        env[f"convert{n}"] = _as_marshmallow(field)
        return [f"result[key{n}] = convert{n}(value)"]
    kind = type(field)
    if kind is fields.String or kind is fields.Integer:  # an Integer here is strict (_inner)
        body = [f"if type(value) is not {'str' if kind is fields.String else 'int'}:", "    raise _Unsure"]
    elif kind is fields.Raw:
        body = []
    else:
        env[f"inner{n}"] = inner
        body = [f"value = inner{n}(value)"]
    others = []
    for i, validator in enumerate(field.validators):
        check = _check(validator, f"{n}_{i}", env)
        if check is None:
            env[f"validator{n}_{i}"] = validator
            others += [f"    if validator{n}_{i}(value) is False:", "        raise _Unsure"]
        else:
            body += [f"if {check}:", "    raise _Unsure"]
    if others:
        body += ["try:", *others, "except ValidationError:", "    raise _Unsure from None"]
    return ["if value is None:", f"    result[key{n}] = None" if field.allow_none else "    raise _Unsure",
            "else:", *(f"    {line}" for line in body), f"    result[key{n}] = value"]


def _check(validator: Any, name: str, env: dict[str, Any]) -> str | None:
    """A Range or Length validator as the condition that fails it (None: another kind, called)."""
    kind, parts = type(validator), []
    if kind is validate.Range:
        if validator.min is not None:
            env[f"min{name}"] = validator.min
            parts.append(f"value {'<' if validator.min_inclusive else '<='} min{name}")
        if validator.max is not None:
            env[f"max{name}"] = validator.max
            parts.append(f"value {'>' if validator.max_inclusive else '>='} max{name}")
    elif kind is validate.Length:
        for bound, op in (("equal", "!="), ("min", "<"), ("max", ">")):
            if getattr(validator, bound) is not None:
                env[f"{bound}{name}"] = getattr(validator, bound)
                parts.append(f"len(value) {op} {bound}{name}")
    else:
        return None
    return " or ".join(parts) or "False"


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
