"""InSales, inbound: webhooks addressed by a per-shop secret path (InSales does not sign them).

Import ``topics``/``payloads`` (no Flask) or ``receiver`` (the blueprint) directly; this package
imports nothing, so the worker never pulls Flask in through it.
"""
