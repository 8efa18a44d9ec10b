"""What every section of the program document shares: its choices and its field kinds."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from plugin.core import limits

#: The choices the document's fields take.
ROUNDING = ("down", "nearest", "up")
REVERSAL_POLICIES = ("pending_only", "clamp", "negative")
STACKING = ("highest", "multiply", "add")
EXPIRY_KINDS = ("never", "days", "end_of_month", "end_of_year")
ACTIVITY_LIMITS = ("once", "per_day", "per_week", "per_month", "per_year", "unlimited")
LANGUAGES = ("en", "ru")  # the languages of the widget's texts

amount = limits.amount  # 0..10^12: beyond it Decimal's 28 digits overflow in the earning arithmetic


def points(**kwargs) -> fields.Integer:
    """A whole number of points, 0..10^12 unless ``validate`` says otherwise."""
    kwargs.setdefault("validate", validate.Range(min=0, max=10**12))
    return fields.Integer(strict=True, **kwargs)


def texts(**kwargs) -> fields.Dict:
    """A text in the widget's languages: {"en": ..., "ru": ...}, at least one of them when it is
    required; an optional one may be {} (its default), so a stored document loads again."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGES)),
                       values=fields.String(validate=validate.Length(min=1, max=500)),
                       validate=validate.Length(min=1 if kwargs.get("required") else 0), **kwargs)


def unique_ids(items: list[dict], section: str) -> None:
    """Each item's id once in its section; a repeat is reported on its own id field."""
    ids = [item["id"] for item in items]
    errors = {n: {"id": [f"{item_id!r} is used twice"]}
              for n, item_id in enumerate(ids) if ids.index(item_id) != n}
    if errors:
        raise ValidationError(errors, section)
