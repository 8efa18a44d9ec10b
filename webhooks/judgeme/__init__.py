"""Judge.me's review webhooks: a receiver checking Judge.me's hex HMAC, stored as review events
that webhooks.reviews' mapper reads. Only receiver.py imports Flask; this __init__ imports nothing.
"""
