"""Privacy requests: a customer's data export, its redaction, and the wipe of an uninstalled shop.

No HTTP; it imports core/ and ledger/."""

from plugin.privacy.requests import (
    customer_redact,
    data_request,
    shop_redact,
)

__all__ = [
    "customer_redact",
    "data_request",
    "shop_redact",
]
