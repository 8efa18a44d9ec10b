"""`loyalty demo --platform custom`: a custom store's flow (sign-ups, paid orders, refunds, a
cancellation, a body that does not fit) in our documented shape, signed with Standard Webhooks the
way a store's backend signs them, posted over HTTP to the running plugin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import requests
from standardwebhooks import Webhook

from plugin.cli.demo import DEMO_CURRENCY, configure_program
from plugin.core.db import session
from plugin.customers import shops
from plugin.http.runtime import Runtime
from webhooks.contract import Address
from webhooks.topics import INBOUND

PLATFORM = "custom"


def deliveries() -> dict:
    text = resources.files("plugin.cli").joinpath("demo_data/custom_events.json").read_text("utf-8")
    return json.loads(text)


def post_deliveries(base_url: str, runtime: Runtime, data: dict) -> list[tuple[dict, int, dict]]:
    """Register the custom demo shop (once), sign each event with its whsec_ secret, POST it to the
    address ``loyalty shops add`` prints; each result names its type as the report's topic."""
    inbound = INBOUND[PLATFORM]
    with session():
        shop, created = shops.register(PLATFORM, data["shop"])
        if created:
            shops.set_currency(shop, DEMO_CURRENCY)
        configure_program(shop.id)
    url = inbound.address(Address.of(shop, base_url, runtime.vault), "order.paid")
    signer = Webhook(inbound.secret(runtime.vault.webhook_secret(shop.id)))
    results = []
    with requests.Session() as http:
        for delivery in data["deliveries"]:
            raw = json.dumps(delivery["body"], ensure_ascii=False)
            now = datetime.now(UTC)
            response = http.post(url, data=raw.encode(), timeout=30, headers={
                "Content-Type": "application/json", "webhook-id": delivery["delivery_id"],
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signer.sign(delivery["delivery_id"], now, raw)})
            results.append(({**delivery, "topic": delivery["body"]["type"]}, response.status_code,
                             response.json()))
    return results
