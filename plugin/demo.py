"""`loyalty demo`: a demo shop, real signed webhooks over HTTP, and what they earned."""

from __future__ import annotations

import json
import threading
from importlib import resources

import requests
from werkzeug.serving import make_server

from plugin import ledger, shops
from plugin.db import session
from plugin.models import Customer
from plugin.runtime import Runtime
from webhooks.signatures import shopify_sign


def deliveries() -> dict:
    return json.loads(resources.files("plugin").joinpath("demo_data/deliveries.json").read_text("utf-8"))


def start_server(app, host: str, port: int):
    """Serve the app from a background thread; returns the server (its port may have been 0)."""
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="loyalty-http", daemon=True).start()
    return server


def post_deliveries(base_url: str, runtime: Runtime, data: dict) -> list[tuple[dict, int, dict]]:
    """Sign each demo delivery with the demo shop's webhook secret and POST it to the receiver."""
    with session():
        shop, _ = shops.register("shopify", data["shop"])
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


def summary(domain: str):
    """The demo shop and each of its shoppers' balance and ledger, oldest line first."""
    with session():
        shop = shops.by_domain("shopify", domain)
        rows = []
        for customer in Customer.select().where(Customer.shop == shop.id):
            rows.append({
                "id": customer.platform_id,
                "name": " ".join(filter(None, [customer.first_name, customer.last_name])),
                "balance": sum(ledger.balances(customer).values()),
                "ledger": [(e.delta, e.kind, e.reason) for e in reversed(ledger.entries(customer))],
            })
        return rows, shop


def report(base_url: str, runtime: Runtime, results, rows, shop) -> str:
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
        "",
        "The demo storefront (the widget on a product page and a checkout, as each shopper):",
        *(f"  {base_url}/demo/{page}?customer={row['id']}"
          for row in rows for page in ("product", "checkout")),
    ]
    return "\n".join(lines)
