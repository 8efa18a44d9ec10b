"""What many test modules share: the fixtures' files and secrets, signed headers for the admin and
widget APIs, the dashboard's forms, Shopify's signatures, a saved program, the demo shop's checkout.

Plain functions and constants; the pytest fixtures that use them live in the conftest.py files.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from plugin import customers, ledger
from plugin.core import clock
from plugin.core.db import session
from plugin.core.kinds import EntryKind
from plugin.core.models import Event, ImportRun, LedgerEntry
from plugin.dataio import import_runs
from plugin.program import document, versions
from widgets import demo_store, identity

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "hush"  # the secret of the signed Shopify fixtures
SHOP_DOMAIN = "example.myshopify.com"
OTHER_DOMAIN = "other.myshopify.com"
ORDER_FIXTURE = "shopify/rest2025-07_order_450789469__GET_orders_450789469.json"  # 5% of 587.00 -> 29 points
ORDER_CUSTOMER = "207119551"
SIGNUP = "shopify/rest2025-07_customer_created__POST_customers.json"  # customer 1073339458, +100
SIGNUP_CUSTOMER = "1073339458"
JUDGEME_REVIEW = "reviews/judgeme_review_created.json"
REVIEWS = {"points": 50, "point_type": "regular", "monthly_cap": None}  # a program's reviews section
BOB = "207119551"  # the demo shop's customer who signs up with 100 points
#: Every variable the CLI reads; a test passes each one explicitly so the parent's never leak.
UNSET = dict.fromkeys([
    "LOYALTY_DATABASE_URL", "LOYALTY_REDIS_URL", "LOYALTY_SECRET_KEY", "LOYALTY_PUBLIC_URL",
    "LOYALTY_MAX_BODY_BYTES", "LOYALTY_BATCH_SIZE", "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET",
    "LOYALTY_SMTP_URL", "LOYALTY_MAIL_FROM", "LOYALTY_WEBHOOKS_ALLOW_PRIVATE",
    "ECWID_CLIENT_ID", "ECWID_CLIENT_SECRET", "LOYALTY_PREPARED_STATEMENTS",
])

#: A program with an action, a custom badge and tiers (one hidden): every admin endpoint has data.
API_PROGRAM = {
    **copy.deepcopy(document.DEFAULT),
    "activities": {"follow": {"points": 5, "limit": "per_day"}},
    "games": {"badges": [{"id": "vip", "title": {"en": "VIP"}, "when": "custom", "points": 50}]},
    "tiers": {"metric": "points_earned", "window": "lifetime", "tiers": [
        {"id": "novice", "title": {"en": "Novice"}, "threshold": "0"},
        {"id": "gold", "title": {"en": "Gold"}, "threshold": "500"},
        {"id": "staff", "title": {"en": "Staff"}, "threshold": "0", "hidden": True}]},
}


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def api_key(app, shop) -> str:
    """The shop's admin API key, as `loyalty shops add` prints it."""
    return app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def webhook_secret(app, shop) -> str:
    """The shop's own secret for signed review (Standard Webhooks, Judge.me) deliveries."""
    return app.extensions["loyalty"].vault.webhook_secret(shop.id)


def configure_reviews(shop, reviews: dict | None = REVIEWS, policy: str = "clamp") -> None:
    """The default program with this reviews section and reversal policy."""
    with session():
        versions.save(shop.id, {**document.DEFAULT, "reviews": reviews, "reversal_policy": policy},
                      author="owner@example.com")


def entries() -> list[tuple[str, int, str]]:
    """Every ledger entry as (kind, delta, idempotency key), oldest first."""
    with session():
        return [(e.kind, e.delta, e.idempotency_key) for e in LedgerEntry.select().order_by(LedgerEntry.id)]


def events() -> list[Event]:
    """Every stored inbox event, oldest first."""
    with session():
        return list(Event.select().order_by(Event.id))


def upload(client, path: str, text: str, page: str, **form):
    """Post ``text`` as the CSV file of the form on ``page`` (with its CSRF token)."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "file.csv"),
                                   **form}, content_type="multipart/form-data")


def set_program(shop, program: dict, now=None) -> int:
    """Save ``program`` as the shop's current one (the clock pinned at ``now`` when given); its number."""
    if now is not None:
        clock.set_source(lambda: now)
    with session():
        return versions.save(shop.id, program, author="test").number


def save_program(shop, author: str = "test", **changes) -> None:
    """Save the default program with ``changes`` (``earning`` merged into its earning section)."""
    doc = copy.deepcopy(document.DEFAULT)
    doc["earning"].update(changes.pop("earning", {}))
    doc.update(changes)
    with session():
        versions.save(shop.id, doc, author=author)


def grant(shop, platform_id: str, points: int, key: str, **details):
    """Give a customer (created when new) ``points`` as a bonus keyed ``key``; the customer."""
    with session():
        customer = customers.ensure(shop.id, platform_id, details.pop("profile", None))
        ledger.grant(customer, points, kind=EntryKind.BONUS, source="test", key=key, rule={"test": key},
                     **details)
    return customer


def in_threads(target: Callable[..., object], args: Iterable[tuple]) -> None:
    """Call ``target(*a)`` for every ``a`` in ``args``, each in a thread of its own, all at once; wait
    for every one (targets that must race meet at a barrier of their own)."""
    threads = [threading.Thread(target=target, args=a) for a in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- the APIs' headers ---------------------------------------------------------------------------

def admin_headers(app, shop, **extra: str) -> dict:
    """The admin API's Authorization header for a shop (its derived API key), plus any extra."""
    key = app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    return {"Authorization": f"Bearer {key}", **extra}


def shopper_headers(app, shop, customer_id: str | None, key: str | None = None) -> dict:
    """The widget API's headers: the shop, a signed customer token (None: anonymous), an
    Idempotency-Key when given."""
    out = {identity.SHOP_HEADER: shop.domain}
    if customer_id:
        token = identity.issue_token(app.extensions["loyalty"].vault, shop, customer_id, 3600)
        out["Authorization"] = f"Bearer {token}"
    if key:
        out["Idempotency-Key"] = key
    return out


# --- the dashboard's forms -----------------------------------------------------------------------

def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, client, shop, name: str = "Olga Petrova"):
    token = csrf_of(client.get("/admin/sign-in").get_data(as_text=True))
    key = app.extensions["loyalty"].vault.api_key(shop.id, shop.key_version)
    return client.post("/admin/sign-in", data={"csrf_token": token, "api_key": key, "name": name})


def post_form(client, path: str, data: dict, page: str = "/admin/overview"):
    """A dashboard form as the browser sends it: with the CSRF token of the page it was on."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


# --- Shopify's signatures ------------------------------------------------------------------------

def shopify_query(domain: str = SHOP_DOMAIN, secret: str = APP_SECRET, **extra) -> dict:
    """The query Shopify opens an embedded app with, signed like Shopify signs it."""
    params = {"shop": domain, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvZXhhbXBsZQ",
              "timestamp": str(int(time.time())), "embedded": "1", **extra}
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def session_token(domain: str = SHOP_DOMAIN, secret: str = APP_SECRET, **claims) -> str:
    """A Shopify session token (an HS256 JWT) for the shop's admin, signed with ``secret``."""
    now = int(time.time())
    payload = {"iss": f"https://{domain}/admin", "dest": f"https://{domain}", "aud": "test-api-key",
               "sub": "42", "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "j", "sid": "s", **claims}
    head = ".".join(b64url(json.dumps(part).encode()) for part in ({"alg": "HS256", "typ": "JWT"}, payload))
    return head + "." + b64url(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


# --- the demo shop -------------------------------------------------------------------------------

def redeem(app, client, shop, points: int, customer: str = BOB) -> dict:
    """Redeem ``points`` on the demo storefront's cart of ``customer``; the redemption."""
    shown = demo_store.cart_of(demo_store.shopper(customer))
    cart = {key: value for key, value in shown.items() if key != "subtotal"}
    cart["lines"] = [{k: v for k, v in line.items() if k not in ("title", "total")} for line in cart["lines"]]
    headers = shopper_headers(app, shop, customer, key="demo-test-0001")
    response = client.post("/widget/v1/redeem", json={"points": points, "cart": cart}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["redemption"]


# --- an order paid in another currency than the shop's ---------------------------------------------

#: A real order of a USD shop paid in EUR (tests/fixtures/shopify/README.md).
CONVERTED = fixture_json("shopify/multicurrency_order_6134457074006.json")


def money_set(shop: str, paid: str, shop_code: str = "USD") -> dict:
    """An amount as Shopify sets it in both currencies: the shop's and the buyer's (EUR)."""
    return {"shop_money": {"amount": shop, "currency_code": shop_code},
            "presentment_money": {"amount": paid, "currency_code": "EUR"}}


def converted_discounted() -> dict:
    """The real order with what Shopify adds for a code, shipping and tax: the plain discount and
    shipping-discount amounts are the buyer's euros, the ``*_set`` carry both."""
    body = copy.deepcopy(CONVERTED)
    body["line_items"][0]["discount_allocations"] = [
        {"amount": "4.20", "amount_set": money_set("4.51", "4.20"), "discount_application_index": 0}]
    shipping_discount = {"amount": "1.00", "amount_set": money_set("1.07", "1.00")}
    body["shipping_lines"] = [{"price": "5.00", "price_set": money_set("5.37", "5.00"),
                               "discount_allocations": [shipping_discount]}]
    body["total_tax"], body["total_tax_set"] = "2.00", money_set("2.15", "2.00")
    return body


# --- the rewards catalog -------------------------------------------------------------------------

#: One reward of every kind.
EVERY_REWARD = [
    {"id": "points-off", "kind": "amount_off", "points": 100, "title": {"en": "100 off", "ru": "100 ₽"}},
    {"id": "500-off", "kind": "fixed_amount", "points": 500, "amount": "500"},
    {"id": "10pct", "kind": "percentage", "points": 400, "percent": "10"},
    {"id": "ship", "kind": "free_shipping", "points": 200},
    {"id": "mug", "kind": "free_product", "points": 300, "product_id": "42"},
    {"id": "coupon", "kind": "coupon", "points": 500, "amount": "500", "valid_days": 180},
]


# --- Shopify orders of given prices, and a refund of one of their lines ----------------------------

REFUND_FIXTURE = "shopify/rest2025-07_refund_929361472__POST_orders_450789469_refunds.json"


def priced_order(order_id: int, *prices: str) -> dict:
    """The order fixture (Bob's) as order ``order_id`` with one line per price, no discounts."""
    body = fixture_json(ORDER_FIXTURE)
    body["id"] = order_id
    template = body["line_items"][0]
    body["line_items"] = [{**template, "id": order_id * 10 + n, "sku": f"S{n}", "price": price,
                           "quantity": 1, "discount_allocations": []} for n, price in enumerate(prices)]
    return body


def line_refund(body: dict, n: int, refund_id: int) -> dict:
    """The refund fixture as refund ``refund_id`` of line ``n`` of the order ``body``."""
    refund = fixture_json(REFUND_FIXTURE)
    refund["id"], refund["order_id"] = refund_id, body["id"]
    refund["refund_line_items"][0]["line_item"] = body["line_items"][n]
    return refund


def fetch_history(shop, first, last, drain, dry_run: bool = False):
    """Fetch the shop's past orders of a period as an import run (by a worker with Redis) and
    return the finished run."""
    with session():
        run = import_runs.start_platform(shop.id, first, last, dry_run=dry_run)
    drain()
    with session():
        return ImportRun.get_by_id(run.id)
