"""The widget API's answers as JSON-ready dicts: times with their UTC offset, and the program as a
shopper reads it. The account is built as it is sent, not dumped through a schema: marshmallow's
dump of it cost a fifth of the request's CPU (10 history lines, about 55 fields), and what it
added (the offsets) is ``utc_iso``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from marshmallow import fields

from plugin.program import money


def utc_iso(value: datetime) -> str:
    """Naive UTC from the database, with its offset so a browser does not read it as local time."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


class UtcDateTime(fields.DateTime):
    """A schema's field for such a time (``utc_iso``)."""

    def _serialize(self, value: datetime | None, attr, obj, **kwargs):
        return None if value is None else utc_iso(value)


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
                         "expiry": {"kind": spec["expiry"]["kind"], "days": spec["expiry"]["days"]}}
                        for name, spec in program["point_types"].items()],
        "earning": {"point_type": earning["point_type"], "rate": _rate_json(earning["rate"]),
                    "description": describe_rate(earning["rate"], currency),
                    "pending_days": earning["pending_days"]},
        "point_value": money(program["redemption"]["point_value"]),
        "signup_points": program["signup"]["points"] if program.get("signup") else None,
        "expiry_warning_days": program["expiry_warning_days"],
        "rules_url": rules_url,
        "launcher": program["widget"]["launcher"],
    }
