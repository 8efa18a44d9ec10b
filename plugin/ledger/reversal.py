"""Taking granted points back under the shop's reversal policy (refunds, cancellations, reviews)."""

from __future__ import annotations

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.kinds import EntryKind
from plugin.core.models import Event, Lot
from plugin.program import versions


def take_back(lot: Lot, points: int, event: Event, *, key: str, reason: reasons.Reason, spill: bool) -> int:
    """Debit up to ``points`` of ``lot`` as the program's ``reversal_policy`` allows; returns what
    was taken and notes on the event what could not be (already spent, or no longer pending).

    ``pending_only`` takes back only points still pending; ``clamp`` takes what is there (from
    the customer's other lots too when ``spill``); ``negative`` takes the rest as a debt.
    """
    policy = versions.current(lot.shop_id)[1]["reversal_policy"]
    if policy == "pending_only" and not (lot.pending_until and lot.pending_until > clock.now()):
        taken = 0
    else:
        taken = ledger.debit(lot, points, kind=EntryKind.REVERSE, key=key, event_id=event.id, reason=reason,
                             spill=spill and policy != "pending_only", allow_debt=policy == "negative")
    if taken < points:
        note = reasons.event_note("not_taken_back", points=points - taken, policy=policy)
        event.error = reasons.dumps(note)
    return taken
