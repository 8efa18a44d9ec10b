"""RQ cron job granting the program's birthday points, once a year per customer.

It runs hourly: the ledger key ``birthday:<customer id>:<year>`` makes every run after the first
of the day a no-op, and an hourly run still grants a birthday whose 30-day waiting period ends
during the day, or one a failed run missed.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta

from plugin import ledger
from plugin.core import clock, reasons
from plugin.core.db import session, write_transaction
from plugin.core.kinds import EntryKind
from plugin.core.models import Customer, Shop
from plugin.program import timing, versions

log = logging.getLogger(__name__)

#: A birthday set (or changed) more recently than this earns nothing yet: no "my birthday is today".
WAITING_PERIOD = timedelta(days=30)


def birthday_filter(today: date):
    """Customers whose birthday is ``today``; Feb 29 birthdays fall on Feb 28 in other years."""
    same_day = (Customer.birthday.month == today.month) & (Customer.birthday.day == today.day)
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        same_day |= (Customer.birthday.month == 2) & (Customer.birthday.day == 29)
    return same_day


def grant_birthdays(batch_size: int = 500) -> int:
    """Grant today's birthday points in every active shop whose program has them; returns grants."""
    granted = 0
    with session():
        now = clock.now()
        for shop_id in [row.id for row in Shop.select(Shop.id).where(Shop.active).order_by(Shop.id)]:
            version, program = versions.current(shop_id)
            rule = program.get("birthday")
            if rule and rule["points"]:
                granted += _grant_shop(shop_id, version, program, rule, now, batch_size)
    if granted:
        log.info("granted %s birthday bonuses", granted)
    return granted


def _grant_shop(shop_id: int, version: int | None, program: dict, rule: dict, now, batch_size: int) -> int:
    granted, after = 0, 0
    expires_at = timing.expires_at(program, rule["point_type"], now)
    while True:
        with write_transaction():
            ids = [cid for (cid,) in Customer.select(Customer.id).where(
                (Customer.shop == shop_id) & birthday_filter(now.date())
                & (Customer.birthday_set_at <= now - WAITING_PERIOD) & (Customer.id > after)
            ).order_by(Customer.id).limit(batch_size).tuples()]
            granted += len(ids and ledger.grant_many(shop_id, [
                ledger.Grant(cid, rule["points"], source=f"birthday:{now.year}",
                             rule={"birthday": rule["points"]}, key=f"birthday:{cid}:{now.year}",
                             point_type=rule["point_type"], reason=reasons.birthday(now.year),
                             program_version=version, expires_at=expires_at)
                for cid in ids], kind=EntryKind.BONUS))
        if len(ids) < batch_size:
            return granted
        after = ids[-1]
