"""Custom stores (their own backend, 1C, Bitrix...): events in our own documented shape, signed with
Standard Webhooks. topics.py and payloads.py (no Flask) are what the worker runs; receiver.py is
the Flask side. This __init__ imports nothing, so the worker's mapper never brings Flask in.
"""
