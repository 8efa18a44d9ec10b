"""What referrals and games do when facts are published (wired in plugin.pipeline.bootstrap)."""

from __future__ import annotations

from plugin.core import facts
from plugin.earn import games, referrals


def referrals_on_orders(fact: facts.OrdersApplied) -> None:
    """First paid orders attribute a referral or complete one made at sign-up."""
    referrals.on_orders(fact.shop_id, fact.program, fact.version, fact.orders, fact.events)


def referrals_on_signup(fact: facts.CustomerCreated) -> None:
    """A sign-up naming a referral code is attributed (and a sign-up welcome paid)."""
    referrals.on_signup(fact.customer, fact.profile, fact.program, fact.version, fact.event_id)


def games_on_orders(fact: facts.OrdersApplied) -> None:
    """Badges, challenges and quests count the same orders."""
    for customer in fact.customers:
        games.on_event("order.paid", customer, program=fact.program, version=fact.version)
