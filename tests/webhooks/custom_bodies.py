"""Hypothesis strategies for a custom store's events: valid bodies of every type, and ways to
spoil one field (a value JSON Schema and marshmallow must both refuse)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from hypothesis import strategies as st

from webhooks.custom import payloads

#: Text both regex engines read alike: no controls, format characters, separators or surrogates.
TEXT = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))
IDS = st.text(TEXT.filter(lambda c: c not in ":#"), min_size=1, max_size=56)
MONEY = st.decimals(min_value=0, max_value=10**8, places=2).map(lambda d: f"{d:.2f}")
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.just(UTC)).map(datetime.isoformat)
NAMES = st.one_of(st.none(), st.text(TEXT, max_size=40))


def optional(strategy):
    return st.one_of(st.none(), strategy)


CUSTOMERS = st.fixed_dictionaries({"id": IDS}, optional={
    "email": NAMES, "phone": NAMES, "first_name": NAMES, "last_name": NAMES})
LINES = st.fixed_dictionaries(
    {"id": IDS, "quantity": st.integers(1, 1000), "price": MONEY},
    optional={"product_id": optional(IDS), "variant_id": optional(IDS), "sku": NAMES, "title": NAMES,
              "vendor": NAMES, "discount": optional(MONEY),
              "tags": st.lists(st.text(TEXT, max_size=20), max_size=4),
              "product_type": NAMES, "on_sale": st.booleans(), "gift_card": st.booleans()})
DATA = {
    payloads.CREATED: st.fixed_dictionaries({"id": IDS}, optional={
        "email": NAMES, "phone": NAMES, "first_name": NAMES, "last_name": NAMES,
        "referral_code": optional(st.from_regex(r"\A[A-Za-z0-9]{4,32}\Z"))}),
    payloads.PAID: st.fixed_dictionaries(
        {"id": IDS, "currency": st.sampled_from(["RUB", "EUR", "USD"]),
         "lines": st.lists(LINES, min_size=1, max_size=3)},
        optional={"customer": optional(CUSTOMERS), "shipping": optional(MONEY), "tax": optional(MONEY),
                  "discount_codes": st.lists(st.text(TEXT, min_size=1, max_size=20), max_size=2),
                  "placed_at": optional(TIMES)}),
    payloads.REFUNDED: st.fixed_dictionaries({"id": IDS, "order_id": IDS, "lines": st.lists(
        st.fixed_dictionaries({"line_id": IDS, "quantity": st.integers(1, 1000)}), min_size=1, max_size=3)}),
    payloads.CANCELLED: st.fixed_dictionaries({"order_id": IDS}),
    payloads.PUBLISHED: st.fixed_dictionaries({"id": IDS, "customer": CUSTOMERS, "product_id": IDS},
                                              optional={"rating": optional(st.integers(1, 5))}),
}
DATA[payloads.UNPUBLISHED] = DATA[payloads.PUBLISHED]
DATA[payloads.UNINSTALLED] = st.just({})


@st.composite
def bodies(draw, kinds=payloads.TYPES) -> dict:
    kind = draw(st.sampled_from(kinds))
    body = {"type": kind, "timestamp": draw(TIMES), "data": draw(DATA[kind])}
    if draw(st.booleans()):
        body["version"] = 1
    return body


#: Values no field of ours takes, by what the field is.
WRONG = {
    "id": ["", "has space", "a:b", "a#b", "x" * 57, 42, None, ["A-1"]],
    "money": [12, "1,50", "-1.00", "1e3", "1.00001", "10000000000000", True],
    "count": ["2", 0, -1, True, 10**7],
    "flag": ["yes", 1, None],
    "text": [7, {"a": 1}],
}
BAD_ENVELOPE = {"type": "order.shipped", "version": 2, "timestamp": "2026-13-01T00:00:00Z"}
SPOILS = [  # (path to the field, which wrong values)
    (("data", "id"), "id"), (("data", "order_id"), "id"), (("data", "customer", "id"), "id"),
    (("data", "lines", 0, "id"), "id"), (("data", "lines", 0, "line_id"), "id"),
    (("data", "lines", 0, "price"), "money"), (("data", "lines", 0, "discount"), "money"),
    (("data", "shipping"), "money"), (("data", "lines", 0, "quantity"), "count"),
    (("data", "lines", 0, "on_sale"), "flag"), (("data", "email"), "text"), (("data", "rating"), "count"),
]


@st.composite
def spoiled(draw) -> tuple[dict, str]:
    """A valid body with one field it has made wrong (or a field it does not know added), and
    that field's dotted path."""
    body = draw(bodies())
    spoilable = [(path, kind) for path, kind in SPOILS if _has(body, path[:-1]) and _fits(body, path)]
    choice = draw(st.sampled_from([*spoilable, (("data", "surprise"), None), (("type",), None),
                                   (("version",), None), (("timestamp",), None)]))
    path, kind = choice
    body = copy.deepcopy(body)
    parent = _at(body, path[:-1])
    if kind is not None:
        parent[path[-1]] = draw(st.sampled_from(WRONG[kind]))
    elif path[-1] == "surprise":
        parent["surprise"] = draw(st.integers())
    else:
        parent[path[-1]] = BAD_ENVELOPE[path[-1]]
    return body, ".".join(map(str, path))


def _at(body, path):
    for step in path:
        body = body[step]
    return body


def _has(body, path) -> bool:
    try:
        return isinstance(_at(body, path), dict)
    except (KeyError, IndexError, TypeError):
        return False


def _fits(body, path) -> bool:
    """The field belongs to this type's shape (a refund line has line_id, an order line id...)."""
    fields = {payloads.CREATED: {"id", "email"}, payloads.PAID: {"id", "customer", "lines", "shipping"},
              payloads.REFUNDED: {"id", "order_id", "lines"}, payloads.CANCELLED: {"order_id"},
              payloads.PUBLISHED: {"id", "customer", "rating"}}
    kind = payloads.UNPUBLISHED if body["type"] == payloads.UNPUBLISHED else body["type"]
    own = fields.get(payloads.PUBLISHED if kind == payloads.UNPUBLISHED else kind, set())
    if path[1] not in own or (path[1] == "lines" and not body["data"]["lines"]):
        return False
    if path[1] == "lines":
        line_field = path[3]
        return line_field == ("line_id" if kind == payloads.REFUNDED else "id") or (
            kind == payloads.PAID and line_field in {"price", "discount", "quantity", "on_sale"}) or (
            kind == payloads.REFUNDED and line_field == "quantity")
    return True
