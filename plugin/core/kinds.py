"""The kinds of things the plugin records, in one place: ledger entry kinds, canonical event
kinds (what a platform's topic maps to), offer event kinds and notice kinds.

``StrEnum``s, so a member is the string stored and sent (``EntryKind.EARN == "earn"``).
"""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    """What a ledger entry records (``LedgerEntry.kind``)."""

    EARN = "earn"  # an order's points
    BONUS = "bonus"  # signup, birthday, referral, activity, code, game, tier gift
    REVIEW = "review"  # a review grant; the monthly cap counts these
    IMPORT = "import"  # an opening balance from a CSV import
    ADJUST = "adjust"  # a staff member's adjustment
    REVERSE = "reverse"  # taken back on a refund or cancellation
    SPEND = "spend"
    HOLD = "hold"  # a spend reserved for a discount, that ``release`` can give back
    RELEASE = "release"
    LATE_COMMIT = "late_commit"  # a code used after its hold was released, charged again
    EXPIRE = "expire"
    TRANSFER = "transfer"  # shopper to shopper
    SETTLE = "settle"  # pays off a negative balance


class EventKind(StrEnum):
    """A canonical event (``Event.kind``): what every platform's topic is mapped to."""

    ORDER_PAID = "order.paid"
    ORDER_REFUNDED = "order.refunded"
    ORDER_CANCELLED = "order.cancelled"
    CUSTOMER_CREATED = "customer.created"
    # A platform's whole order as it stands now (InSales, and stores like it without refund or
    # cancel topics): plugin.pipeline.snapshots derives order.paid/refunded/cancelled from it.
    ORDER_SNAPSHOT = "order.snapshot"
    # A platform's notice that something changed, whose content the plugin reads from the platform
    # (Ecwid signs only an event's id and time): its Platform.prepare stores what it read as a
    # delivery of its own and marks the notice applied; one left unread fails as Unread, retried.
    NOTICE = "notice"
    SHOP_UNINSTALLED = "shop.uninstalled"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"
    REVIEW_PUBLISHED = "review.published"
    REVIEW_UNPUBLISHED = "review.unpublished"
    PRIVACY_DATA_REQUEST = "privacy.data_request"
    PRIVACY_CUSTOMER_REDACT = "privacy.customer_redact"
    PRIVACY_SHOP_REDACT = "privacy.shop_redact"


class OrderState(StrEnum):
    """Where an order stands in a platform's snapshot of it (``order.snapshot``'s ``state``), which
    plugin.pipeline.snapshots compares with what it derived before."""

    PENDING = "pending"  # not paid yet: earns nothing
    PAID = "paid"
    CANCELLED = "cancelled"


class OfferEventKind(StrEnum):
    """What a shopper did with a widget offer (``OfferEvent.kind``)."""

    IMPRESSION = "impression"
    CLICK = "click"
    REDEMPTION = "redemption"


class NoticeKind(StrEnum):
    """Something to tell a shopper later (``Notice.kind``)."""

    POINTS_EXPIRING_SOON = "points_expiring_soon"
    TIER_DOWNGRADE_WARNING = "tier_downgrade_warning"


class DeliveryChannel(StrEnum):
    """How a message leaves the plugin (``Delivery.channel``)."""

    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class SuppressionReason(StrEnum):
    """Why an address gets nothing more (``Suppression.reason``)."""

    BOUNCE = "bounce"  # a permanent failure (SMTP 5xx, a bounce report)
    COMPLAINT = "complaint"  # marked as spam
    MANUAL = "manual"  # the owner or the shopper asked
