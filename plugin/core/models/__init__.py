"""Tables. Every row belongs to a shop; points are integers and money is Decimal.

One module per concept; this package re-exports every model and ``ALL_MODELS`` (in creation order),
so ``from plugin.core.models import X`` is the one way to reach a table. State fields (statuses,
kinds) hold the ``StrEnum`` members of plugin.core.status and plugin.core.kinds.
"""

from __future__ import annotations

from plugin.core.models.base import BaseModel
from plugin.core.models.earn import (
    ActivationCode,
    Activity,
    Badge,
    ChallengeProgress,
    LeaderboardEntry,
    Notice,
    QuestProgress,
    Referral,
    ReferralCode,
)
from plugin.core.models.events import Event
from plugin.core.models.history import PastOrderLine
from plugin.core.models.ledger import AdjustmentBatch, Balance, Hold, LedgerEntry, Lot
from plugin.core.models.notify import (
    Delivery,
    MessageTemplate,
    NotifySettings,
    OutboxMessage,
    Suppression,
    Unsubscription,
    WebhookSubscription,
)
from plugin.core.models.orders import Order
from plugin.core.models.platforms import PlatformObject
from plugin.core.models.privacy import PrivacyRequest
from plugin.core.models.program import CatalogProduct, ProgramDraft, ProgramVersion
from plugin.core.models.reports import CoPurchase, DailyFigure, OfferEvent
from plugin.core.models.runs import ImportRun
from plugin.core.models.shops import Customer, DashboardSession, IdempotentRequest, PeriodicRun, Shop
from plugin.core.models.tiers import CustomerTier, TierChange, TierDiscount, TierRun

ALL_MODELS = [Shop, ProgramVersion, ProgramDraft, Customer, Balance, Lot, Event, Order, LedgerEntry, Hold,
              ActivationCode, Activity, Notice,
              CoPurchase, OfferEvent, CustomerTier, TierChange, TierRun, TierDiscount,
              Badge, ChallengeProgress, QuestProgress, LeaderboardEntry,
              ReferralCode, Referral,
              AdjustmentBatch, ImportRun, PastOrderLine, PrivacyRequest, DailyFigure, CatalogProduct,
              DashboardSession, IdempotentRequest, PeriodicRun,
              OutboxMessage, WebhookSubscription, Delivery, NotifySettings, MessageTemplate,
              Suppression, Unsubscription, PlatformObject]

__all__ = ["ALL_MODELS", "ActivationCode", "Activity", "AdjustmentBatch", "Badge", "Balance", "BaseModel",
           "CatalogProduct", "ChallengeProgress", "CoPurchase", "Customer", "CustomerTier", "DailyFigure",
           "DashboardSession", "Delivery", "Event", "Hold", "IdempotentRequest", "ImportRun",
           "LeaderboardEntry",
           "LedgerEntry", "Lot", "MessageTemplate", "Notice", "NotifySettings", "OfferEvent", "Order",
           "OutboxMessage", "PastOrderLine", "PeriodicRun", "PlatformObject", "PrivacyRequest",
           "ProgramDraft", "ProgramVersion", "QuestProgress", "Referral", "ReferralCode", "Shop",
           "Suppression", "TierChange",
           "TierDiscount", "TierRun", "Unsubscription", "WebhookSubscription"]
