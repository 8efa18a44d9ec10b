"""Ecwid, inbound: signed notices (only ``eventCreated.eventId`` is signed, so the body says no more
than "store S says entity E changed"), and the orders, customers and uninstalls the plugin read
from Ecwid's API for them (plugin.platforms.ecwid's ``prepare``).

Import ``topics``/``payloads`` (no Flask) or ``receiver`` (the blueprint) directly; this package
imports nothing, so the worker never pulls Flask in through it.
"""
