"""Ecwid: the app's OAuth (authorize and token addresses, the scopes it asks for), the REST API
client with the per-store request limit (client.py, limiter.py) and the adapter on the platform
contract (adapter.py: install work, prepare, coupons, reconciliation).

It imports core/, customers/, the platform contract, and webhooks' Ecwid topics and mapping (the
API's answers are mapped as a webhook would be); no Flask."""

from __future__ import annotations

AUTHORIZE_URL = "https://my.ecwid.com/api/oauth/authorize"
TOKEN_URL = "https://my.ecwid.com/api/oauth/token"
API_URL = "https://app.ecwid.com/api/v3"
#: What the plugin reads and makes: the profile (currency, name), orders and customers (earning),
#: discount coupons (redemption: made, read, deleted when a hold is released).
NOT_CONFIGURED = "this app is not configured for Ecwid: set ECWID_CLIENT_ID and ECWID_CLIENT_SECRET"
SCOPES = ("read_store_profile", "read_orders", "read_customers", "create_discount_coupons",
          "update_discount_coupons", "read_discount_coupons")
