"""What the widget API answers, as marshmallow schemas, and the program as a shopper reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from marshmallow import Schema, fields

from plugin.program import money


class UtcDateTime(fields.DateTime):
    """Naive UTC from the database, sent with its offset so a browser does not read it as local."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class ExpiryOut(Schema):
    kind = fields.String()
    days = fields.Integer(allow_none=True)


class PointTypeOut(Schema):
    name = fields.String()
    label = fields.Dict(keys=fields.String(), values=fields.String())
    expiry = fields.Nested(ExpiryOut)


class EarningOut(Schema):
    point_type = fields.String()
    description = fields.String()
    rate = fields.Dict()
    pending_days = fields.Integer()


class ProgramOut(Schema):
    currency = fields.String()
    point_types = fields.List(fields.Nested(PointTypeOut))
    earning = fields.Nested(EarningOut)
    point_value = fields.String()
    signup_points = fields.Integer(allow_none=True)
    expiry_warning_days = fields.Integer()
    rules_url = fields.String(allow_none=True)  # the public rules page (plugin.dashboard.rules_page)
    launcher = fields.Boolean()  # the store turned the floating launcher on (program "widget")


class ExpiringOut(Schema):
    point_type = fields.String()
    points = fields.Integer()
    expires_at = UtcDateTime()


class EntryOut(Schema):
    delta = fields.Integer()
    point_type = fields.String()
    kind = fields.String()
    reason = fields.String()  # in the shopper's language (?lang=, else Accept-Language)
    reason_code = fields.String()
    reason_params = fields.Dict()
    created_at = UtcDateTime()


class AnonymousOut(Schema):
    signed_in = fields.Boolean()
    program = fields.Nested(ProgramOut)


class AccountOut(AnonymousOut):
    customer = fields.String()
    balance = fields.Dict(keys=fields.String(), values=fields.Integer())
    spendable = fields.Dict(keys=fields.String(), values=fields.Integer())
    pending = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Dict(keys=fields.String(), values=fields.Integer())
    expiring_soon = fields.List(fields.Nested(ExpiringOut))
    recent = fields.List(fields.Nested(EntryOut))
    tier = fields.Dict(allow_none=True)  # issue #5


ANONYMOUS, ACCOUNT = AnonymousOut(), AccountOut()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _points(n: int | Decimal) -> str:
    return f"{_number(Decimal(n))} point{'' if n == 1 else 's'}"


def describe_rate(rate: dict, currency: str) -> str:
    """The earning rate in one English sentence (the widget translates from ``rate`` itself)."""
    if rate["kind"] == "percent":
        return f"{_points(rate['percent'])} for every 100 {currency} spent"
    if rate["kind"] == "per_amount":
        return f"{_points(rate['points'])} for every {money(rate['per'])} {currency} spent"
    parts = [f"{_points(band['points'])} for orders from {money(band['min'])} {currency}"
             + (f" to {money(band['max'])} {currency}" if band["max"] is not None else "")
             for band in rate["bands"]]
    return "; ".join(parts)


def _rate_json(rate: dict) -> dict:
    """The rate with Decimals as strings and unused keys left out."""
    out = {"kind": rate["kind"]}
    if rate["kind"] == "percent":
        out["percent"] = _number(rate["percent"])
    elif rate["kind"] == "per_amount":
        out.update(points=rate["points"], per=money(rate["per"]))
    else:
        out["bands"] = [{"from": money(b["min"]), "to": None if b["max"] is None else money(b["max"]),
                         "points": b["points"]} for b in rate["bands"]]
    return out


def program_summary(program: dict, shop_currency: str, rules_url: str | None = None) -> dict:
    """How the program works, for anyone: point types, how points are earned, what one is worth."""
    currency = shop_currency  # the shop's one currency (a program names no other)
    earning = program["earning"]
    return {
        "currency": currency,
        "point_types": [{"name": name, "label": spec["label"] or {"en": name.replace("_", " ").title()},
                         "expiry": spec["expiry"]} for name, spec in program["point_types"].items()],
        "earning": {"point_type": earning["point_type"], "rate": _rate_json(earning["rate"]),
                    "description": describe_rate(earning["rate"], currency),
                    "pending_days": earning["pending_days"]},
        "point_value": money(program["redemption"]["point_value"]),
        "signup_points": program["signup"]["points"] if program.get("signup") else None,
        "expiry_warning_days": program["expiry_warning_days"],
        "rules_url": rules_url,
        "launcher": program["widget"]["launcher"],
    }
