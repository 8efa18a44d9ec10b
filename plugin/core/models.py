"""Tables. Every row belongs to a shop; points are integers and money is Decimal."""

from __future__ import annotations

import peewee as pw

from plugin.core import clock
from plugin.core.base import JSONField, ReasonField, ShortReasonField, database


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Shop(BaseModel):
    """An installed store. Tokens are encrypted and keys derived with the secret key (plugin.core.crypto)."""

    platform = pw.CharField(max_length=32)
    domain = pw.CharField(max_length=255)
    name = pw.CharField(max_length=255, default="")
    currency = pw.CharField(max_length=3, default="USD")
    access_token = pw.TextField(null=True)
    token_expires_at = pw.DateTimeField(null=True)
    refresh_token = pw.TextField(null=True)
    refresh_token_expires_at = pw.DateTimeField(null=True)
    scopes = pw.TextField(default="")
    own_webhook_secret = pw.BooleanField(default=False)  # False: the platform app's secret signs
    key_version = pw.IntegerField(default=1)  # bump to rotate the shop's derived API key
    active = pw.BooleanField(default=True)
    installed_at = pw.DateTimeField(default=clock.now)
    uninstalled_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("platform", "domain"), True),)


class ProgramVersion(BaseModel):
    """Every change to a shop's program is a new, immutable version; old ones stay readable."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    number = pw.IntegerField()
    document = JSONField()
    author = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "program_version"
        indexes = ((("shop", "number"), True),)


class Customer(BaseModel):
    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    platform_id = pw.CharField(max_length=64)
    email = pw.CharField(max_length=320, null=True)
    first_name = pw.CharField(max_length=255, null=True)
    last_name = pw.CharField(max_length=255, null=True)
    birthday = pw.DateField(null=True)
    birthday_set_at = pw.DateTimeField(null=True)  # a birthday set < 30 days ago earns nothing yet
    lifetime_earned = pw.BigIntegerField(default=0)
    created_at = pw.DateTimeField(default=clock.now)
    redacted_at = pw.DateTimeField(null=True)  # personal data removed (plugin.privacy); points kept

    class Meta:
        indexes = ((("shop", "platform_id"), True),)


class Balance(BaseModel):
    """The materialized balance per point type; only plugin.ledger writes it, by SQL increments."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    point_type = pw.CharField(max_length=32)
    points = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("customer", "point_type"), True),)


class Lot(BaseModel):
    """One grant of points, with the rule snapshot that produced it (reversals use its rate)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    point_type = pw.CharField(max_length=32)
    source = pw.CharField(max_length=128)
    key = pw.CharField(max_length=255)  # the idempotency key of the grant that created it
    original = pw.BigIntegerField()
    remaining = pw.BigIntegerField()
    rule = JSONField()
    program_version = pw.IntegerField(null=True)  # None: the built-in default program
    pending_until = pw.DateTimeField(null=True)  # not spendable before (the return window)
    expires_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("shop", "key"), True),
            (("customer", "point_type", "remaining"), False),
            (("expires_at",), False),  # the expiry jobs scan by date
            (("shop", "created_at"), False),  # campaign rollups read by date
        )


class Event(BaseModel):
    """The inbox: every accepted delivery, applied at most once (unique delivery id, business key)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    platform = pw.CharField(max_length=32)
    topic = pw.CharField(max_length=128)
    kind = pw.CharField(max_length=64, null=True)  # canonical: order.paid, ...; None = not ours
    delivery_id = pw.CharField(max_length=255)
    business_key = pw.CharField(max_length=255, null=True)
    subject = pw.CharField(max_length=64, null=True)  # the order a refund/cancel waits for
    payload = JSONField(null=True)
    raw_body = pw.TextField()
    status = pw.CharField(max_length=16, default="pending")
    error = pw.TextField(null=True)
    attempts = pw.IntegerField(default=0)
    received_at = pw.DateTimeField(default=clock.now)
    applied_at = pw.DateTimeField(null=True)

    #: ``invalid``: correctly signed, but does not fit our schema (the field path and reason in
    #: ``error``); kept with its raw body so the owner can retry it after a fix.
    STATUSES = ("pending", "applied", "waiting", "failed", "ignored", "invalid")

    class Meta:
        indexes = (
            (("shop", "delivery_id"), True),
            (("shop", "business_key"), True),
            (("shop", "status", "id"), False),
            (("shop", "subject"), False),
            (("status", "received_at"), False),  # the sweep, every few seconds
        )


class Order(BaseModel):
    """What a paid order earned and what has been taken back, so reversals are exact."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    platform_id = pw.CharField(max_length=64)
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    currency = pw.CharField(max_length=3)
    eligible = pw.DecimalField(max_digits=18, decimal_places=4)
    refunded = pw.DecimalField(max_digits=18, decimal_places=4, default=0)
    order = JSONField()  # the canonical order as earned on, for exact re-evaluation on refunds
    refunded_lines = JSONField(default=dict)  # line id -> refunded amount
    first_order = pw.BooleanField(default=False)
    program_version = pw.IntegerField(null=True)
    earned = pw.BigIntegerField(default=0)
    reversed = pw.BigIntegerField(default=0)
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    cancelled = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=clock.now)
    # Money of a discount the customer's points did not pay for (a code used after its hold was
    # released, charged again short: plugin.spend.late_commit), in the shop currency.
    uncovered_discount = pw.DecimalField(max_digits=18, decimal_places=4, null=True)

    class Meta:
        table_name = "orders"
        indexes = ((("shop", "platform_id"), True), (("shop", "created_at"), False))


class LedgerEntry(BaseModel):
    """Append-only: every change to a balance, with who or what caused it and why."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    point_type = pw.CharField(max_length=32)
    delta = pw.BigIntegerField()
    kind = pw.CharField(max_length=16)  # earn, bonus, reverse (spend, hold, expire... to come)
    event = pw.ForeignKeyField(Event, null=True, on_delete="SET NULL")
    actor = pw.CharField(max_length=255, null=True)
    reason = ReasonField(default="")  # a code and its parameters (plugin.core.reasons), as JSON
    reason_code = pw.CharField(max_length=64, null=True)  # the code alone; None: not migrated yet
    idempotency_key = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "ledger_entry"
        indexes = (
            (("shop", "idempotency_key"), True),
            (("customer", "id"), False),
            (("shop", "created_at"), False),  # daily rollups (plugin.reports.rollups) read by date
        )


class Hold(BaseModel):
    """Points reserved for a discount: held -> committed (the paid order used it) or released
    (``releasing`` while its platform code is being withdrawn: the points are still held)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    point_type = pw.CharField(max_length=32)
    points = pw.BigIntegerField()
    lots = JSONField()  # lot id -> points taken from it, so a release returns them where they were
    code = pw.CharField(max_length=64)
    amount = pw.DecimalField(max_digits=18, decimal_places=4)
    currency = pw.CharField(max_length=3, null=True)
    reward = pw.CharField(max_length=64, null=True)  # the catalog reward, if not plain points off
    cart = JSONField(null=True)
    idempotency_key = pw.CharField(max_length=255)
    status = pw.CharField(max_length=16, default="held")
    platform_discount_id = pw.CharField(max_length=255, null=True)
    order_id = pw.CharField(max_length=64, null=True)
    expires_at = pw.DateTimeField()
    created_at = pw.DateTimeField(default=clock.now)
    closed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("shop", "idempotency_key"), True),
            (("shop", "code"), True),
            (("status", "expires_at"), False),
        )


class ActivationCode(BaseModel):
    """A single-use code worth points (a partner club card, a discount card carried over)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    batch = pw.CharField(max_length=64)
    code = pw.CharField(max_length=64)
    points = pw.BigIntegerField()
    point_type = pw.CharField(max_length=32)
    created_at = pw.DateTimeField(default=clock.now)
    redeemed_by = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    redeemed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "activation_code"
        indexes = ((("shop", "code"), True), (("shop", "batch"), False))


class Activity(BaseModel):
    """A custom action the store reported (follow, survey...), idempotent by the store's id."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    activity_id = pw.CharField(max_length=255)
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    name = pw.CharField(max_length=64)
    points = pw.BigIntegerField(default=0)
    outcome = pw.CharField(max_length=32)  # granted, limited (over its limit), unknown
    lot = pw.ForeignKeyField(Lot, null=True, on_delete="SET NULL")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("shop", "activity_id"), True), (("customer", "name"), False))


class Notice(BaseModel):
    """Something to tell a shopper later (points expiring soon...), for the notifications issue."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    kind = pw.CharField(max_length=64)
    key = pw.CharField(max_length=255)  # unique per shop: a notice is recorded once
    data = JSONField()
    created_at = pw.DateTimeField(default=clock.now)
    sent_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("shop", "key"), True), (("customer", "kind"), False))


class CoPurchase(BaseModel):
    """How many of the shop's orders held both products (both directions; rebuilt by a job)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    product_id = pw.CharField(max_length=64)
    other_product_id = pw.CharField(max_length=64)
    count = pw.IntegerField()

    class Meta:
        table_name = "co_purchase"
        indexes = ((("shop", "product_id", "other_product_id"), True),)


class OfferEvent(BaseModel):
    """An impression, click or redemption of a widget offer, for analytics."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    offer_id = pw.CharField(max_length=128)
    kind = pw.CharField(max_length=16)  # impression, click, redemption
    created_at = pw.DateTimeField(default=clock.now)

    KINDS = ("impression", "click", "redemption")

    class Meta:
        table_name = "offer_event"
        indexes = ((("shop", "offer_id", "kind"), False), (("shop", "created_at"), False))


class CustomerTier(BaseModel):
    """A customer's tier (plugin.tiers); ``assigned`` by the store means evaluation never moves it."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    tier_id = pw.CharField(max_length=64)
    assigned = pw.BooleanField(default=False)
    since = pw.DateTimeField(default=clock.now)
    downgrade_warned_at = pw.DateTimeField(null=True)
    downgrade_due = pw.DateTimeField(null=True)  # below the tier since the warning: down on this date
    synced_tier = pw.CharField(max_length=64, null=True)  # the tier tag the store has (plugin.tiers.sync)

    class Meta:
        table_name = "customer_tier"
        indexes = ((("shop", "tier_id"), False),)


class TierDiscount(BaseModel):
    """What a Shopify shop holds for one tier's benefits (plugin.tiers.sync): the segment of the
    tier's customer tag and the automatic discounts made for it, with the values they were made with."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    tier_id = pw.CharField(max_length=64)
    segment_id = pw.CharField(max_length=255, null=True)
    percent_id = pw.CharField(max_length=255, null=True)
    percent = pw.DecimalField(max_digits=7, decimal_places=4, null=True)
    shipping_id = pw.CharField(max_length=255, null=True)
    threshold = pw.DecimalField(max_digits=14, decimal_places=4, null=True)
    synced_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "tier_discount"
        indexes = ((("shop", "tier_id"), True),)


class TierChange(BaseModel):
    """Tier history: every move of a customer, with why."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    from_tier = pw.CharField(max_length=64, null=True)
    to_tier = pw.CharField(max_length=64)
    reason = ShortReasonField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "tier_change"
        indexes = ((("customer", "id"), False),)


class TierRun(BaseModel):
    """One re-evaluation of a shop's tiers (a background job): its progress, kept in the database."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    status = pw.CharField(max_length=16, default="queued")  # queued, running, done, failed
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    changed = pw.IntegerField(default=0)
    program_version = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    error = pw.TextField(null=True)

    class Meta:
        table_name = "tier_run"
        indexes = ((("shop", "id"), False),)


class Badge(BaseModel):
    """A badge a customer earned (plugin.earn.games); once per badge id."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    badge_id = pw.CharField(max_length=64)
    earned_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("customer", "badge_id"), True),)


class ChallengeProgress(BaseModel):
    """How far a customer is in a time-boxed challenge (recomputed from orders, reviews)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    challenge_id = pw.CharField(max_length=64)
    progress = pw.DecimalField(max_digits=18, decimal_places=4, default=0)
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "challenge_progress"
        indexes = ((("customer", "challenge_id"), True),)


class QuestProgress(BaseModel):
    """The number of a quest's ordered steps a customer has done."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    quest_id = pw.CharField(max_length=64)
    step = pw.IntegerField(default=0)
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "quest_progress"
        indexes = ((("customer", "quest_id"), True),)


class LeaderboardEntry(BaseModel):
    """A shopper's opt-in to the leaderboard, under the display name they chose (never an email)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    display_name = pw.CharField(max_length=40)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "leaderboard_entry"


class ReferralCode(BaseModel):
    """A customer's own referral code (plugin.earn.referrals), shared as ``?ref=<code>`` or at checkout."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", unique=True)
    code = pw.CharField(max_length=32)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "referral_code"
        indexes = ((("shop", "code"), True),)


class Referral(BaseModel):
    """A friend attributed to a referrer: pending -> rewarded, or blocked by its risk until approved."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    referrer = pw.ForeignKeyField(Customer, on_delete="CASCADE", backref="referrals_made")
    friend = pw.ForeignKeyField(Customer, on_delete="CASCADE", backref="+")
    code = pw.CharField(max_length=32)
    attributed_via = pw.CharField(max_length=32)  # signup_code, order_discount_code, landing_param
    status = pw.CharField(max_length=16, default="pending")
    risk_score = pw.IntegerField(default=0)
    reasons = JSONField(default=list)
    friend_order_id = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField(default=clock.now)
    decided_at = pw.DateTimeField(null=True)

    STATUSES = ("pending", "blocked", "approved", "rewarded", "void")

    class Meta:
        indexes = ((("shop", "friend"), True), (("referrer", "created_at"), False),
                   (("shop", "status", "id"), False))


class AdjustmentBatch(BaseModel):
    """Bulk adjustments from one CSV file (plugin.ledger.bulk_adjustments): applied in one transaction,
    undone at most once and only within a day; its ledger keys are ``batch:<id>:<line>``."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    key = pw.CharField(max_length=128)  # the apply request's Idempotency-Key
    file_hash = pw.CharField(max_length=64)  # sha256 of the file: a retry must send the same one
    actor = pw.CharField(max_length=255)
    rows = pw.IntegerField(default=0)  # rows applied
    lines = JSONField(default=list)  # the file's line numbers that were applied
    totals = JSONField(default=dict)  # {"added": {type: points}, "removed": {type: points}}
    rejected = JSONField(default=list)  # [{"line": n, "reason": text}] of rows left out
    status = pw.CharField(max_length=16, default="applied")  # applied, undone
    created_at = pw.DateTimeField(default=clock.now)
    undone_at = pw.DateTimeField(null=True)
    undone_by = pw.CharField(max_length=255, null=True)

    class Meta:
        table_name = "adjustment_batch"
        indexes = ((("shop", "key"), True), (("shop", "id"), False))


class ImportRun(BaseModel):
    """One import of customers and balances from CSV (plugin.dataio.imports): progress and report, so any
    web process can show them while a worker imports."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    status = pw.CharField(max_length=16, default="queued")  # queued, running, done, failed
    dry_run = pw.BooleanField(default=False)
    filename = pw.CharField(max_length=255, default="")
    file_hash = pw.CharField(max_length=64)
    body = pw.TextField(default="")  # the CSV until the run finishes (the worker reads it here)
    actor = pw.CharField(max_length=255, null=True)
    total = pw.IntegerField(default=0)
    done = pw.IntegerField(default=0)
    report = JSONField(null=True)  # counts, rejected rows and warnings (plugin.dataio.imports.Report)
    error = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "import_run"
        indexes = ((("shop", "id"), False),)


class PrivacyRequest(BaseModel):
    """A privacy webhook as applied (plugin.privacy): what was asked, what was done, the export."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    event = pw.ForeignKeyField(Event, null=True, unique=True, on_delete="SET NULL")  # applied once
    topic = pw.CharField(max_length=64)  # customers/data_request, customers/redact, shop/redact
    customer_platform_id = pw.CharField(max_length=64, null=True)
    email = pw.CharField(max_length=320, null=True)  # data requests only; cleared by a later redact
    status = pw.CharField(max_length=16)  # completed, skipped
    requested_at = pw.DateTimeField()
    completed_at = pw.DateTimeField(null=True)
    export = JSONField(null=True)  # the customer's data, for a data request
    log = JSONField(default=dict)  # rows touched per table, or why it was skipped

    class Meta:
        table_name = "privacy_request"
        indexes = ((("shop", "id"), False),)


class DailyFigure(BaseModel):
    """One figure of one UTC day of a shop (plugin.reports.rollups): recomputed whole, never edited by hand.

    ``metric`` names the figure (issued, member_orders, offer_clicks...), ``key`` what it is of
    (a point type, an offer id, a campaign name; "" for none). Points are whole numbers, money
    is in the shop's currency.
    """

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    day = pw.DateField()
    metric = pw.CharField(max_length=32)
    key = pw.CharField(max_length=255, default="")
    value = pw.DecimalField(max_digits=20, decimal_places=4)
    computed_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "daily_figure"
        indexes = ((("shop", "day", "metric", "key"), True),)


class DashboardSession(BaseModel):
    """A signed-in dashboard session. The cookie carries only its random id (the row keeps a
    hash of it), so signing out deletes the row and a copied cookie opens nothing any more."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    id_hash = pw.CharField(max_length=64, unique=True)
    actor = pw.CharField(max_length=255)
    via = pw.CharField(max_length=16)  # "shopify" or "api_key"
    key_version = pw.IntegerField()  # an api_key session ends when the shop's key is rotated
    installed_at = pw.DateTimeField()  # the shop's install it was opened in: a reinstall ends it
    created_at = pw.DateTimeField(default=clock.now)
    expires_at = pw.DateTimeField()

    class Meta:
        table_name = "dashboard_session"
        indexes = ((("shop", "expires_at"), False),)


class IdempotentRequest(BaseModel):
    """A client's Idempotency-Key: claimed before the work, then the answer every retry gets (24 h)."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    scope = pw.CharField(max_length=255)  # the endpoint, and the shopper for widget calls
    key = pw.CharField(max_length=255)
    fingerprint = pw.CharField(max_length=64)  # sha256 of method, path and body
    status = pw.CharField(max_length=16, default="in_progress")
    response_status = pw.IntegerField(null=True)
    response_body = pw.TextField(null=True)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "idempotent_request"
        indexes = ((("shop", "scope", "key"), True), (("created_at",), False))


class PeriodicRun(BaseModel):
    """When each periodic job last started (plugin.pipeline.scheduler), so the in-process scheduler of
    several web processes and ``loyalty run-due`` from system cron run it once per interval.
    The one table that belongs to no shop: a periodic job covers every shop."""

    name = pw.CharField(max_length=200, primary_key=True)  # module.function
    last_run_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "periodic_run"


class CatalogProduct(BaseModel):
    """What the rules need to know about one of a shop's products, which order webhooks do not
    carry (plugin.program.catalog): tags, type, vendor, and per variant its price and compare-at price."""

    shop = pw.ForeignKeyField(Shop, on_delete="CASCADE")
    product_id = pw.CharField(max_length=64)  # Shopify's numeric id, as order lines carry it
    tags = JSONField(default=list)
    product_type = pw.CharField(max_length=255, null=True)
    vendor = pw.CharField(max_length=255, null=True)
    variants = JSONField(default=dict)  # variant id -> {"price": "9.00", "compare_at_price": "12.00"|None}
    updated_at = pw.DateTimeField(null=True)  # the platform's; an older update never overwrites a newer
    fetched_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "catalog_product"
        indexes = ((("shop", "product_id"), True),)


ALL_MODELS = [Shop, ProgramVersion, Customer, Balance, Lot, Event, Order, LedgerEntry, Hold,
              ActivationCode, Activity, Notice,
              CoPurchase, OfferEvent, CustomerTier, TierChange, TierRun, TierDiscount,
              Badge, ChallengeProgress, QuestProgress, LeaderboardEntry,
              ReferralCode, Referral,
              AdjustmentBatch, ImportRun, PrivacyRequest, DailyFigure, CatalogProduct,
              DashboardSession, IdempotentRequest, PeriodicRun]
