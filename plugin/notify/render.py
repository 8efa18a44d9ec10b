"""Message wording. PLACEHOLDER on the sms branch: the e-mail helper's renderer (sandboxed Jinja,
the catalogue's wording, the owner's templates) replaces this whole file on merge; the SMS channel
only calls ``sms_text``."""

from __future__ import annotations

from plugin.core.models import Customer, OutboxMessage, Shop
from plugin.notify.settings import Settings


def sms_text(shop: Shop, settings: Settings, message: OutboxMessage, customer: Customer) -> str:
    """The SMS a shopper gets for a message: the shop's name, the type and its points and balance."""
    data = message.data or {}
    figures = " ".join(f"{name}={data[name]}" for name in ("points", "balance") if name in data)
    return f"{shop.name}: {message.type} {figures}".strip()
