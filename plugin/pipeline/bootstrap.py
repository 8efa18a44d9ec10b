"""The one place that says who reacts to which fact, in which order (as cosmicpython's bootstrap).

The appliers and the ledger publish facts (plugin.core.facts) without knowing who listens; each
reacting package keeps its handlers in its own ``handlers`` module. Order matters where it is
listed: a paid order's discount is committed before the buyer's tier is evaluated, and a cancelled
order's hold is given back before its points are taken back. The outbox of outbound messages
(plugin.notify.handlers) comes last for every fact it tells, so it sees what the others did.
"""

from __future__ import annotations

from plugin.core import bus, facts
from plugin.earn import handlers as earn
from plugin.notify import handlers as notify
from plugin.spend import handlers as spend
from plugin.tiers import handlers as tiers

DOMAIN: dict[str, tuple[bus.Handler, ...]] = {
    facts.ORDER_APPLIED: (
        earn.referrals_on_orders,
        spend.orders_applied,
        tiers.orders_applied,
        earn.games_on_orders,  # last: a "tier reached" badge sees the tier just evaluated
    ),
    facts.ORDER_CANCELLED: (spend.order_cancelled,),
    facts.CUSTOMER_CREATED: (earn.referrals_on_signup,),
}

HANDLERS: dict[str, tuple[bus.Handler, ...]] = {
    name: DOMAIN.get(name, ()) + ((notify.HANDLERS[name],) if name in notify.HANDLERS else ())
    for name in facts.NAMES if name in DOMAIN or name in notify.HANDLERS
}


def wire(message_bus: bus.MessageBus = bus.BUS) -> None:
    """Subscribe the handlers above (once: a process wired already is left as it is)."""
    if not message_bus.wired:
        message_bus.wire(HANDLERS)
