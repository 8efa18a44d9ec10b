"""WooCommerce, inbound: webhooks the plugin creates over the REST API at install, each signed with
its own secret (``X-WC-Webhook-Signature``: base64 HMAC-SHA256 of the raw body).

Import ``topics``/``payloads`` (no Flask) or ``receiver`` (the blueprint) directly; this package
imports nothing, so the worker never pulls Flask in through it.
"""
