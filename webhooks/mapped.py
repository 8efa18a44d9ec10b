"""A delivery in canonical form, whatever platform sent it, and the bounds every mapper keeps."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.core.kinds import EventKind
from plugin.core.status import EventStatus

#: Bounds of what fits our columns and arithmetic: platform ids fit a signed 64-bit integer,
#: amounts stay far inside Decimal(18, 4), quantities are what a real cart holds.
MAX_ID = 2**63 - 1
MAX_AMOUNT = 10**12
MAX_QUANTITY = 10**6


@dataclass(frozen=True)
class Mapped:
    """A delivery in canonical form: what it means, and the keys that make it apply once."""

    kind: str | None
    payload: dict | None = None
    business_key: str | None = None
    subject: str | None = None  # the order it depends on
    status: str = EventStatus.PENDING
    note: str | None = None


def unknown(topic: str) -> Mapped:
    return Mapped(None, status=EventStatus.IGNORED, note=f"topic {topic!r} is not one the plugin handles")


def invalid(reason: str) -> Mapped:
    """A signed delivery that does not fit our schema; ``reason`` names the field path."""
    text = reason[:2000].replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()
    return Mapped(None, status=EventStatus.INVALID, note=text)


# The canonical facts every platform's topics build, keyed the same way whatever platform sent them
# (a business key names the fact, so the same order from two topics or two platforms' paths is one).

def order_paid(data: dict | None, order_id: str) -> Mapped:
    """``data`` None: the keys alone, as a receiver reads them; the payload once the worker maps."""
    return Mapped(EventKind.ORDER_PAID, data, f"{EventKind.ORDER_PAID}:{order_id}")


def order_refunded(data: dict | None, refund_id: str, order_id: str) -> Mapped:
    return Mapped(EventKind.ORDER_REFUNDED, data, f"{EventKind.ORDER_REFUNDED}:{refund_id}", subject=order_id)


def order_cancelled(data: dict | None, order_id: str) -> Mapped:
    return Mapped(EventKind.ORDER_CANCELLED, data, f"{EventKind.ORDER_CANCELLED}:{order_id}",
                  subject=order_id)


def customer_created(data: dict | None, customer_id: str) -> Mapped:
    return Mapped(EventKind.CUSTOMER_CREATED, data, f"{EventKind.CUSTOMER_CREATED}:{customer_id}")


def consent(given: bool, at: str | None = None, source: str | None = None) -> dict:
    """A customer profile's marketing consent as the platform states it: given (when, where) or
    withdrawn; plugin.customers.contact records it. A platform that says nothing adds no keys."""
    return {"marketing_consent": given, "marketing_consent_at": at, "marketing_consent_source": source}
