"""Shopify's webhooks: the receiver (HMAC over the raw body with the app secret or the shop's own),
and the mappers the worker runs on stored deliveries: orders (payloads), customers' data requests
(privacy_payloads) and products (product_payloads).

Only receiver.py imports Flask; this package's __init__ imports nothing, so the worker's mappers
never bring the HTTP layer in.
"""
