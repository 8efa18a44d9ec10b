"""Reviews from any store, signed with Standard Webhooks: the receiver (receiver.py, Flask) and the
mapper the worker runs on stored review deliveries (payloads.py, no Flask), which Judge.me's
receiver shares. This __init__ imports nothing, so the worker's mapper never brings Flask in.
"""
