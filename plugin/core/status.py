"""Every model's status vocabulary, in one place.

``StrEnum``s: a member is the very string the database and the JSON have always held
(``EventStatus.PENDING == "pending"``), so rows, API answers and queries are unchanged; code
names the member instead of spelling the string.
"""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    """An inbox event (``Event.status``). ``invalid``: correctly signed, but not fitting our schema
    (the field path and reason in ``error``); kept with its raw body so the owner can retry it."""

    PENDING = "pending"
    APPLIED = "applied"
    WAITING = "waiting"  # a refund or cancellation waiting for its order
    FAILED = "failed"
    IGNORED = "ignored"
    INVALID = "invalid"


class HoldStatus(StrEnum):
    """Points reserved for a discount (``Hold.status``): held -> committed or released;
    ``releasing`` while its platform code is being withdrawn (the points are still held)."""

    HELD = "held"
    RELEASING = "releasing"
    COMMITTED = "committed"
    RELEASED = "released"


class RunStatus(StrEnum):
    """A background run kept in the database (``TierRun.status``, ``ImportRun.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportKind(StrEnum):
    """What an import run brings in (``ImportRun.kind``)."""

    CUSTOMERS = "customers"  # customers and balances from CSV (plugin.dataio.imports)
    ORDERS = "orders"  # past order lines from CSV (plugin.dataio.order_history)
    PLATFORM = "platform"  # past order lines from the shop's platform


class ReferralStatus(StrEnum):
    """A friend attributed to a referrer (``Referral.status``): pending -> rewarded, or blocked by its
    risk until approved; void when the friend's order came back."""

    PENDING = "pending"
    BLOCKED = "blocked"
    APPROVED = "approved"
    REWARDED = "rewarded"
    VOID = "void"


class ReferralVia(StrEnum):
    """How a friend was attributed (``Referral.attributed_via``)."""

    SIGNUP_CODE = "signup_code"
    ORDER_DISCOUNT_CODE = "order_discount_code"
    LANDING_PARAM = "landing_param"


class BatchStatus(StrEnum):
    """A bulk adjustment batch (``AdjustmentBatch.status``): undone at most once."""

    APPLIED = "applied"
    UNDONE = "undone"


class PrivacyStatus(StrEnum):
    """A privacy webhook as applied (``PrivacyRequest.status``)."""

    COMPLETED = "completed"
    SKIPPED = "skipped"


class IdempotencyStatus(StrEnum):
    """A client's Idempotency-Key (``IdempotentRequest.status``): claimed, then answered."""

    IN_PROGRESS = "in_progress"
    DONE = "done"


class ActivityOutcome(StrEnum):
    """A custom action the store reported (``Activity.outcome``); ``limited``: over its limit."""

    GRANTED = "granted"
    LIMITED = "limited"


class SessionVia(StrEnum):
    """How a dashboard session was opened (``DashboardSession.via``)."""

    SHOPIFY = "shopify"  # an admin load
    API_KEY = "api_key"  # the sign-in form; ends when the shop's key is rotated
    INSALES = "insales"  # InSales' app autologin from its admin
    WOOCOMMERCE = "woocommerce"  # the browser that connected the store, once its keys worked


class ChallengeStatus(StrEnum):
    """Where a time-boxed challenge stands for a shopper (computed, not stored; the widget shows it)."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    COMPLETED = "completed"
    ENDED = "ended"


class DeliveryStatus(StrEnum):
    """One message to one destination (``Delivery.status``): pending (and retried with backoff)
    -> sent; failed when its retries ran out or the destination refused it for good; suppressed
    when it was never attempted (no consent, unsubscribed, a bounced address, quiet-hours cap...)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class SubscriptionStatus(StrEnum):
    """A webhook subscription (``WebhookSubscription.status``): paused when it failed for days."""

    ACTIVE = "active"
    PAUSED = "paused"
