"""Random JSON shapes and bytes to every route the app serves: never a 5xx, and a 4xx writes nothing.

Routes come from ``app.url_map`` and the bodies from the marshmallow schemas each route loads (found
by one probe request per route), so a new endpoint or field is fuzzed without touching this file.
Requests are authenticated as a real shop (admin API key, a dashboard session) or shopper (a widget
token), and webhook deliveries are signed over their random bytes, so the code behind every check
runs. A signed delivery that does not fit is the receivers' to answer (2xx or 4xx): only "no 5xx".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields
from standardwebhooks import Webhook

from plugin import customers
from plugin.core.db import database, session
from plugin.core.models import ALL_MODELS, IdempotentRequest
from tests.helpers import (
    API_PROGRAM,
    APP_SECRET,
    SHOP_DOMAIN,
    admin_headers,
    csrf_of,
    fixture_json,
    shopper_headers,
    sign_in,
)
from webhooks import judgeme
from webhooks.reviews import standard_secret
from webhooks.signatures import shopify_sign
from webhooks.topics import REGISTRY

CUSTOMER = "c-1"
MAX_EXAMPLES = 16
NESTED = [b"[" * 10000, b'{"a":' * 10000]
HUGE = [2**31, 2**63, 2**64, -(2**63) - 1, 10**12 + 1, 10**6 + 1, 10**30, -1, 0]
TEXTS = ["\ud800", "a\udfffb", "a\x00b", "x" * 65, "x" * 256, "x" * 4000, "9" * 40, "1e400", "-1E+999999999",
         "NaN", "9999-12-31", "0001-01-01", "2024-02-30", "99999-01-01T00:00:00Z", CUSTOMER, "regular",
         "gold", "welcome", "c-2", "someone@example.com", ""]
DAYS = ["9999-12-31", "0001-01-01", "2024-02-30", "2024-05-01"]
MOMENTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2024-05-01T10:00:00Z", *DAYS]
PATH_TEXTS = ["welcome", "summary", "vip", "x" * 65, "x" * 129, "x" * 300, "é", "%", "a.b"]
CART = {"lines": [{"product_id": "p1", "sku": "A-1", "price": "30.00", "quantity": 2, "tags": ["x"]}],
        "shipping": "5.00", "currency": "USD"}
SEEDS = {  # real bodies per route, mutated one part at a time; routes not named here get schema shapes
    "/webhooks/shopify": [fixture_json("shopify/rest2025-07_order_created__POST_orders.json"),
                          fixture_json("shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"),
                          fixture_json("shopify/rest2025-07_customer_created__POST_customers.json"),
                          fixture_json("shopify/compliance_customers_redact.json")],
    "/webhooks/judgeme": [{**fixture_json("reviews/judgeme_review_created.json"),
                           "shop_domain": SHOP_DOMAIN}],
    "/webhooks/reviews/<domain>": [{"type": "review.published", "review_id": "r1", "customer_id": CUSTOMER,
                                    "product_id": "p1"}],
    "/widget/v1/quote": [{"cart": CART}],
    "/widget/v1/redeem": [{"cart": CART, "points": 100, "point_type": "regular"}],
    "/widget/v1/rewards": [{"cart": CART}],
    "/widget/v1/offers": [{"cart": CART, "lang": "en"}],
    "/widget/v1/transfers": [{"to": "someone@example.com", "points": 10}],
    "/api/v1/program/preview": [CART],
    "/api/v1/activities": [{"activity_id": "a1", "customer_id": CUSTOMER, "name": "follow"}],
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(HUGE), st.sampled_from(TEXTS),
                    st.floats(allow_nan=False), st.text(max_size=12))


def _load_fields(schema: Schema) -> dict[str, fields.Field]:
    return {field.data_key or name: field for name, field in schema.fields.items() if not field.dump_only}


def _typed(field: fields.Field, depth: int):
    """Values of the field's own type, at and beyond its bounds, or anything else."""
    if isinstance(field, fields.Nested) and depth < 3:
        inner = _instance(field.schema, depth + 1)
        return st.lists(inner, max_size=2) if field.many else inner
    if isinstance(field, fields.List) and depth < 3:
        return st.lists(st.one_of(_typed(field.inner, depth + 1), scalars), max_size=3)
    if isinstance(field, fields.Integer):
        return st.integers() | st.sampled_from(HUGE)
    if isinstance(field, fields.Number):
        return st.decimals(allow_nan=False, places=2).map(str) | st.sampled_from(
            ["1e400", "9" * 40, 1e308, 10**13, "0.001"])
    if isinstance(field, fields.Date):
        return st.sampled_from(DAYS)  # the edges of time, and one ordinary day
    if isinstance(field, fields.DateTime):
        return st.sampled_from(MOMENTS)
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.sampled_from(TEXTS) | st.text(max_size=6), scalars, max_size=3)
    return scalars


def _instance(schema: Schema, depth: int = 0, *, loose: bool = True):
    """A JSON object shaped by ``schema``: any subset of its fields, each typed or (loose) not."""
    known = _load_fields(schema)
    return st.fixed_dictionaries({}, optional={
        name: st.one_of(_typed(field, depth), scalars) if loose else _typed(field, depth)
        for name, field in known.items()})


def _record_schemas(monkeypatch, client, method: str, url: str, **kwargs) -> list[Schema]:
    """The schemas a route loads when sent an empty JSON object (discovered, not listed)."""
    seen: list[Schema] = []
    original = Schema.load

    def load(self, data, *args, **kw):
        seen.append(self)
        return original(self, data, *args, **kw)

    monkeypatch.setattr(Schema, "load", load)
    try:
        client.open(url, method=method, json={}, **kwargs)
    finally:
        monkeypatch.setattr(Schema, "load", original)
    return seen


def _leaves(value, path=()):
    """Every path to a leaf (and to each container) of a JSON value."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _leaves(item, (*path, key))


def _replaced(value, path: tuple, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _mutated(example):
    """A real body with one part (a leaf or a whole branch) replaced by an out-of-range value."""
    return st.tuples(st.sampled_from(list(_leaves(example))), scalars).map(
        lambda pair: _replaced(example, pair[0], pair[1]))


def _nested(inner):
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


def _bodies(schemas: list[Schema], seeds: list):
    """Mostly JSON (shaped by the route's schemas, or a seed with one part replaced), else bytes."""
    shaped = [_instance(schema) for schema in dict.fromkeys(schemas)]
    shaped += [_mutated(seed) for seed in seeds] + [st.sampled_from(seeds)] * bool(seeds)
    anything = st.recursive(scalars, _nested, max_leaves=8)
    as_json = st.one_of(*shaped, anything).map(lambda value: json.dumps(value).encode())  # ASCII: \ud800 too
    return st.one_of(*[as_json] * 5, st.binary(max_size=40), st.sampled_from(NESTED))


def _path_value(converter: str):
    if converter == "IntegerConverter" or converter == "RowId":
        return st.integers(min_value=0, max_value=2**70).map(str) | st.sampled_from(["1", "2", "3"])
    anything = st.text(alphabet=st.characters(exclude_characters="/"), min_size=1, max_size=8)
    return st.sampled_from([CUSTOMER, SHOP_DOMAIN]) | st.sampled_from(PATH_TEXTS) | anything


def _query(values: dict) -> dict[str, str]:
    """Query parameters as text; a URL cannot carry a lone surrogate, so those are left out."""
    text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return {k: v for k, v in text.items() if _encodable(v)}


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _counts() -> tuple[int, ...]:
    """Rows in every table, in one round trip; not the stored answers to Idempotency-Keys, which
    keep a 4xx on purpose (a retry with the same key gets the same answer)."""
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{model._meta.table_name}")' for model in ALL_MODELS
                       if model is not IdempotentRequest)
    with session():
        return tuple(database.execute_sql(f"SELECT {counts}").fetchone())


def _overlong() -> list[str]:
    """Text columns holding more than their max_length: PostgreSQL refuses those, SQLite keeps them, so
    an unbounded field shows here on SQLite (and as a 5xx on PostgreSQL)."""
    columns = [(model._meta.table_name, field.column_name, field.max_length) for model in ALL_MODELS
               for field in model._meta.sorted_fields if isinstance(field, peewee.CharField)]
    probes = ", ".join(f'(SELECT COUNT(*) FROM "{table}" WHERE LENGTH("{column}") > {length})'
                       for table, column, length in columns)
    with session():
        found = database.execute_sql(f"SELECT {probes}").fetchone()
    return [f"{table}.{column}" for (table, column, _), count in zip(columns, found, strict=True) if count]


@pytest.fixture
def seeded(app, client, shop) -> dict:
    """A shop with a program (tiers, badges, actions), a code batch and a customer with points."""
    headers = admin_headers(app, shop)
    program = {**API_PROGRAM, "transfers": {"enabled": True}}
    assert client.put("/api/v1/program", json=program, headers=headers).status_code == 201
    assert client.post("/api/v1/activation-codes", json={"count": 2, "points": 40, "batch": "welcome"},
                       headers=headers).status_code == 201
    with session():
        customers.ensure(shop.id, CUSTOMER)
    adjusted = client.post(f"/api/v1/customers/{CUSTOMER}/adjustments",
                           json={"points": 500, "reason": "seed"},
                           headers={**headers, "X-Loyalty-Actor": "Olga", "Idempotency-Key": "seed-0001"})
    assert adjusted.status_code == 201, adjusted.get_json()
    return headers


class Sender:
    """Sends one request to a route family as its real client would, signed or authenticated."""

    def __init__(self, app, client, shop, admin: dict):
        self.app, self.client, self.shop, self.admin = app, client, shop, admin
        self.shopper = shopper_headers(app, shop, CUSTOMER)
        self.secret = app.extensions["loyalty"].vault.webhook_secret(shop.id)

    def headers(self, rule: str, raw: bytes, topic: str) -> dict:
        if rule.startswith("/api/"):
            return {**self.admin, "Content-Type": "application/json", "X-Loyalty-Actor": "fuzz",
                    "Idempotency-Key": "fuzz-" + topic}
        if rule.startswith("/widget/"):
            return {**self.shopper, "Content-Type": "application/json", "Idempotency-Key": "fuzz-" + topic}
        if rule == "/webhooks/shopify":
            return {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                    "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-Webhook-Id": topic,
                    "X-Shopify-Hmac-Sha256": shopify_sign(APP_SECRET, raw)}
        if rule == "/webhooks/judgeme":
            return {"Content-Type": "application/json",
                    judgeme.SIGNATURE_HEADER: judgeme.sign(self.secret, raw)}
        if rule.startswith("/webhooks/reviews/"):
            now = datetime.now(UTC)
            signed = Webhook(standard_secret(self.secret)).sign(topic, now, raw.decode("utf-8", "replace"))
            return {"Content-Type": "application/json", "webhook-id": topic,
                    "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signed}
        return {}

    def send(self, method: str, rule: str, url: str, raw: bytes, query: dict, topic: str):
        if rule.startswith("/admin") and method != "GET":
            page = self.client.get("/admin/overview")  # signed out (the sign-out route): the sign-in form
            token = csrf_of((page if page.status_code == 200 else self.client.get("/admin/sign-in")).get_data(
                as_text=True))
            form = {"csrf_token": token, **{k: str(v) for k, v in query.items()}, "document": raw.decode(
                "utf-8", "replace")}
            return self.client.open(url, method=method, data=form)
        return self.client.open(url, method=method, data=raw, query_string=query,
                                headers=self.headers(rule, raw, topic))


def _routes(app) -> list[tuple[str, object]]:
    pairs = ((method, rule) for rule in app.url_map.iter_rules()
             for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(pairs, key=lambda pair: (pair[1].rule, pair[0]))


def _url(rule, values: dict) -> str:
    return rule.build(values)[1]  # the converters' own quoting


def _fuzz(sender: Sender, monkeypatch, method: str, rule) -> str | None:
    """Hypothesis over one route; the first failure's line, else None."""
    if rule.rule.startswith("/admin"):
        sign_in(sender.app, sender.client, sender.shop)  # again: the sign-out route ends the session
    defaults = {name: ("1" if type(c).__name__ in ("IntegerConverter", "RowId") else CUSTOMER)
                for name, c in rule._converters.items()}
    schemas = _record_schemas(monkeypatch, sender.client, method, _url(rule, defaults),
                              headers=sender.headers(rule.rule, b"{}", "probe"))
    flat = [s for s in schemas if not any(isinstance(f, fields.Nested) for f in s.fields.values())]
    query = st.one_of(*[_instance(s, loose=False) for s in flat] or [st.just({})]).map(_query)
    paths = st.fixed_dictionaries({name: _path_value(type(c).__name__)
                                   for name, c in rule._converters.items()})
    topics = (st.sampled_from([*sorted(REGISTRY["shopify"]), "x"]) if rule.rule == "/webhooks/shopify"
              else st.text(alphabet="abcdef0123456789", min_size=8, max_size=12))

    busy = bool(schemas or rule._converters or method != "GET" or rule.rule in SEEDS)

    @given(raw=_bodies(schemas, SEEDS.get(rule.rule, [])), values=paths, params=query, topic=topics)
    @settings(max_examples=MAX_EXAMPLES if busy else 2, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def run(raw, values, params, topic):
        before = _counts()
        url = _url(rule, values)
        response = sender.send(method, rule.rule, url, raw, params, topic)
        where = f"{method} {url[:120]} {params!r:.200} {raw[:200]!r}"
        assert response.status_code < 500, f"{where}: {response.get_data(as_text=True)[:300]}"
        if 400 <= response.status_code < 500:
            assert _counts() == before, f"{where}: a {response.status_code} wrote rows"

    try:
        run()
    except (AssertionError, BaseExceptionGroup) as error:  # a flaky failure is a group of them
        return f"{method} {rule.rule}: {str(error).splitlines()[0]}"
    overlong = _overlong()
    return f"{method} {rule.rule} stored text longer than its column: {overlong}" if overlong else None


def test_every_route_answers_random_input_without_5xx_or_a_partial_write(app, client, shop, seeded,
                                                                          monkeypatch):
    sender = Sender(app, client, shop, seeded)
    failures = [_fuzz(sender, monkeypatch, method, rule) for method, rule in _routes(app)]
    assert not any(failures), "\n".join(filter(None, failures))
