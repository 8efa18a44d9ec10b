"""The one marketing message: a program campaign announced when it starts, to each shopper who gave
marketing consent (the planning suppresses anyone whose consent is gone by the time it is sent).

A periodic job looks for campaigns that started within the last day; the message key names the
campaign and the shopper, so reruns and several workers write each announcement once, and a shopper
who consents while the day lasts still gets it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from plugin.core import clock
from plugin.core.db import session, write_transaction
from plugin.core.models import Customer, Shop
from plugin.notify import outbox
from plugin.notify.types import CAMPAIGN_STARTED
from plugin.program import versions
from plugin.program.earning import naive

#: A campaign is announced while it is this fresh; one added to the program later goes unannounced.
FRESH = timedelta(days=1)
BATCH = 500


def announce_started() -> int:
    """Periodic job: record ``campaign.started`` for every fresh campaign; returns the shoppers covered
    (announcements already written are skipped by their key)."""
    covered = 0
    with session():
        now = clock.now()
        for shop_id in [s.id for s in Shop.select(Shop.id).where(Shop.active)]:
            for campaign in versions.current(shop_id)[1]["campaigns"]:
                starts, ends = naive(campaign["starts_at"]), naive(campaign["ends_at"])
                if now - FRESH <= starts <= now < ends:
                    covered += _announce(shop_id, campaign)
    return covered


def _announce(shop_id: int, campaign: dict) -> int:
    identity = f"{campaign['name']}\0{campaign['starts_at'].isoformat()}"
    tag = hashlib.sha256(identity.encode()).hexdigest()[:16]
    data = {"name": campaign["name"],
            "factor": None if campaign.get("multiplier") is None else str(campaign["multiplier"]),
            "bonus": campaign["bonus"], "starts_at": clock.iso(naive(campaign["starts_at"])),
            "ends_at": clock.iso(naive(campaign["ends_at"]))}
    audience = ((Customer.shop == shop_id) & Customer.marketing_consent_at.is_null(False)
                & Customer.redacted_at.is_null())
    if campaign["customers"]:
        audience &= Customer.platform_id.in_(campaign["customers"])
    covered, after = 0, 0
    while True:
        with write_transaction():
            ids = [cid for (cid,) in Customer.select(Customer.id).where(audience & (Customer.id > after))
                   .order_by(Customer.id).limit(BATCH).tuples()]
            outbox.record_many(shop_id, [
                {"type": CAMPAIGN_STARTED, "key": f"campaign:{tag}:{cid}", "customer": cid, "data": data}
                for cid in ids])
        covered += len(ids)
        if len(ids) < BATCH:
            return covered
        after = ids[-1]
