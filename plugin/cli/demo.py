"""`loyalty demo`: a demo shop, real signed webhooks over HTTP, and what they earned."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta
from importlib import resources

import requests
from werkzeug.serving import make_server

from plugin import ledger
from plugin.cli.mail_sink import Sink
from plugin.core import clock, reasons
from plugin.core.db import session
from plugin.core.models import Customer, ProgramVersion
from plugin.customers import shops
from plugin.http.runtime import Runtime
from plugin.http.serving import RequestHandler
from plugin.notify.email import transport
from plugin.program import versions
from webhooks.signatures import shopify_sign

#: The demo shop's one currency: its program's figures (3000 for free shipping) are roubles.
DEMO_CURRENCY = "RUB"


def deliveries() -> dict:
    return json.loads(resources.files("plugin.cli").joinpath("demo_data/deliveries.json").read_text("utf-8"))


def start_server(app, host: str, port: int):
    """Serve the app from a background thread; returns the server (its port may have been 0)."""
    server = make_server(host, port, app, threaded=True, request_handler=RequestHandler)
    threading.Thread(target=server.serve_forever, name="loyalty-http", daemon=True).start()
    return server


def start_mail_sink(app) -> Sink | None:
    """Unless LOYALTY_SMTP_URL names a real server, shoppers' e-mail goes to a local SMTP sink, so it
    "goes out" at once and the outbox page shows it sent; also points the links in e-mails at the
    URL the demo serves."""
    loyalty = app.extensions["loyalty"]
    settings, sink = loyalty.settings, None
    if not settings.smtp_url:
        sink = Sink().start()
        settings = dataclasses.replace(settings, smtp_url=sink.url,
                                       mail_from=settings.mail_from or "loyalty-demo@localhost")
        app.extensions["loyalty"] = dataclasses.replace(loyalty, settings=settings)
    transport.configure(settings)
    return sink


def mail_report(sink: Sink | None, base_url: str) -> str:
    log = f"every message and where it went, in the dashboard: {base_url}/admin/messages"
    if sink is None:
        return f"Shoppers' e-mail goes to LOYALTY_SMTP_URL; {log}"
    lines = [f"Shoppers' e-mail went to the demo's local mail sink ({sink.url}): {len(sink.messages)} so far"]
    lines += [f"  to {m['To']}: {m['Subject']}" for m in sink.messages]
    return "\n".join([*lines, f"The outbox: {log}"])


def demo_program() -> dict:
    """The demo shop's program: the default earning (5%, +100 at sign-up, so the printed balances
    stay as computed) plus tiers, referrals, transfers, a badge, a challenge and a quest, so the
    storefront's account page has something to show; a rewards catalogue (free shipping, an amount
    off from 1,000, a coupon, a Silver-only gift) and the launcher on, for the storefront's
    rewards and launcher. No extra points: multipliers 1."""
    now = clock.now().replace(microsecond=0)
    return {
        "currency": DEMO_CURRENCY,
        "point_types": {"regular": {"expiry": {"kind": "never"}}},
        "earning": {"point_type": "regular", "rate": {"kind": "percent", "percent": "5"}, "rounding": "down"},
        "reversal_policy": "clamp",
        "signup": {"points": 100, "point_type": "regular"},
        "tiers": {"metric": "orders", "window": "lifetime", "tiers": [
            {"id": "novice", "title": {"en": "Novice", "ru": "Новичок"}, "threshold": "0"},
            {"id": "bronze", "title": {"en": "Bronze", "ru": "Бронза"}, "threshold": "2",
             "discount_percent": "3"},
            {"id": "silver", "title": {"en": "Silver", "ru": "Серебро"}, "threshold": "5",
             "discount_percent": "5", "free_shipping_threshold": "3000"},
        ]},
        "referrals": {"referrer_points": 200, "friend_points": 100},
        "transfers": {"enabled": True, "max_per_day": 1000},
        "rewards": [
            {"id": "free-shipping", "kind": "free_shipping", "points": 200,
             "title": {"en": "Free shipping", "ru": "Бесплатная доставка"}},
            {"id": "500-off", "kind": "fixed_amount", "points": 500, "amount": "500", "min_order": "1000",
             "title": {"en": "500 ₽ off", "ru": "Скидка 500 ₽"}},
            {"id": "coupon-300", "kind": "coupon", "points": 300, "amount": "300", "valid_days": 30,
             "title": {"en": "300 ₽ coupon for your next order", "ru": "Купон на 300 ₽ на следующий заказ"}},
            {"id": "silver-postcard", "kind": "free_product", "points": 50, "product_id": "632910394",
             "tiers": ["silver"], "title": {"en": "A free postcard", "ru": "Открытка в подарок"}},
        ],
        "widget": {"launcher": True},
        "games": {
            "badges": [
                {"id": "first-order", "title": {"en": "First order", "ru": "Первый заказ"},
                 "when": "first_purchase"},
                {"id": "regular", "title": {"en": "Regular customer", "ru": "Постоянный покупатель"},
                 "when": "orders", "count": 5},
            ],
            "challenges": [
                {"id": "three-orders",
                 "title": {"en": "Three orders this month", "ru": "Три заказа за месяц"},
                 "goal": "orders", "target": "3", "starts_at": (now - timedelta(days=1)).isoformat(),
                 "ends_at": (now + timedelta(days=30)).isoformat()},
            ],
            "quests": [
                {"id": "getting-started", "title": {"en": "Getting started", "ru": "Первые шаги"},
                 "steps": [{"goal": "order"}, {"goal": "review"}, {"goal": "order"}]},
            ],
        },
    }


def configure_program(shop_id: int) -> None:
    """Give the demo shop its demo program once: a rerun (or an owner's own version) keeps what is there."""
    if not ProgramVersion.select().where(ProgramVersion.shop == shop_id).exists():
        versions.save(shop_id, demo_program(), "loyalty demo")


def post_deliveries(base_url: str, runtime: Runtime, data: dict) -> list[tuple[dict, int, dict]]:
    """Sign each demo delivery with the demo shop's webhook secret and POST it to the receiver."""
    with session():
        shop, created = shops.register("shopify", data["shop"])
        if created:
            shops.set_currency(shop, DEMO_CURRENCY)
        configure_program(shop.id)
    secret = runtime.vault.webhook_secret(shop.id)
    results = []
    with requests.Session() as http:
        for delivery in data["deliveries"]:
            raw = json.dumps(delivery["body"], ensure_ascii=False).encode()
            response = http.post(f"{base_url}/webhooks/shopify", data=raw, timeout=30, headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": delivery["topic"],
                "X-Shopify-Shop-Domain": shop.domain,
                "X-Shopify-Webhook-Id": delivery["delivery_id"],
                "X-Shopify-Hmac-Sha256": shopify_sign(secret, raw),
            })
            results.append((delivery, response.status_code, response.json()))
    return results


def summary(domain: str, platform: str = "shopify"):
    """The demo shop and each of its shoppers' balance and ledger, oldest line first."""
    with session():
        shop = shops.by_domain(platform, domain)
        rows = []
        for customer in Customer.select().where(Customer.shop == shop.id):
            rows.append({
                "id": customer.platform_id,
                "name": " ".join(filter(None, [customer.first_name, customer.last_name])),
                "balance": sum(ledger.balances(customer).values()),
                "ledger": [(e.delta, e.kind, reasons.render(e.reason, "en"))  # the report is English
                           for e in reversed(ledger.entries(customer))],
            })
        return rows, shop


def report(base_url: str, runtime: Runtime, results, rows, shop, storefront: bool = True) -> str:
    """What happened, in words, and the URLs and commands to try next."""
    lines = ["Demo webhooks, signed and posted to the running plugin:"]
    for delivery, code, answer in results:
        outcome = answer.get("status") or answer.get("error")
        lines.append(f"  {code} {delivery['topic']:<17} {outcome:<9} {delivery['note']}")
    lines.append("")
    lines.append("Who earned what:")
    for row in rows:
        lines.append(f"  {row['name'] or row['id']} (customer {row['id']}): {row['balance']} points")
        for delta, kind, reason in row["ledger"]:
            lines.append(f"      {delta:+6d}  {kind:<8} {reason}")
    api_key = runtime.vault.api_key(shop.id, shop.key_version)
    customer = rows[0]["id"] if rows else "<id>"
    lines += [
        "",
        "Try it:",
        f"  {base_url}/manifest.json",
        f"  {base_url}/healthz",
        f"  curl -H 'Authorization: Bearer {api_key}' {base_url}/api/v1/customers/{customer}",
        f"  curl -H 'Authorization: Bearer {api_key}' '{base_url}/api/v1/events?status=ignored'",
        f"  {base_url}/api/openapi.json",
    ]
    if not storefront:  # a custom store: its own checkout asks what a redemption code is worth
        lines += [f"  curl -H 'Authorization: Bearer {api_key}' {base_url}/api/v1/discount-codes/<code>",
                  "", "How a store sends these events: the README's \"Connect any store\"."]
        return "\n".join(lines)
    lines += [
        "",
        f"The owner's dashboard: {base_url}/admin/sign-in with the API key above and your name;"
        f" the program's rules as shoppers read them: {base_url}/rules/{shop.domain}?lang=ru;"
        f" what the draft program would have cost over a year of past orders, against the published"
        f" one: {base_url}/admin/economics",
        "",
        "The demo storefront (a product page with the points launcher, a checkout with rewards and"
        " an account page, as each shopper):",
        *(f"  {base_url}/demo/{page}?customer={row['id']}"
          for row in rows for page in ("product", "checkout", "account")),
    ]
    return "\n".join(lines)
