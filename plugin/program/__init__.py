"""The store's program: its document, its versions, and what it makes things earn."""

from __future__ import annotations

from decimal import Decimal


def money(amount: Decimal) -> str:
    """An amount as people read it: two decimals, more only when the amount has them."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if amount == cents else str(amount.normalize())


def point_type_name(program: dict, name: str, lang: str, term) -> str:
    """A point type as the reader calls it: the store's label in ``lang``, else the catalogue's name
    for a well-known id (``term``: plugin.core.i18n.term), else the id itself."""
    label = ((program.get("point_types") or {}).get(name) or {}).get("label") or {}
    return label.get(lang) or term(lang, "point_type", name, name)  # i18n-keys: point_type.regular
