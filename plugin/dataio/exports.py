"""CSV exports of a shop's customers and ledger, produced page by page (by id), so a shop with
millions of rows streams in constant memory. The customers file reads back with plugin.dataio.imports."""

from __future__ import annotations

import json
from collections.abc import Iterator

from peewee import fn

from plugin.core import csvfile, reasons
from plugin.core.db import session
from plugin.core.models import Balance, Customer, CustomerTier, LedgerEntry, ReferralCode

PAGE = 1000
CUSTOMER_COLUMNS = ("customer_id", "email", "first_name", "last_name", "birthday", "points_balance",
                    "tier", "referral_code", "lifetime_earned", "created_at")
LEDGER_COLUMNS = ("id", "created_at", "customer_id", "point_type", "delta", "kind", "reason", "actor",
                  "lot", "event", "idempotency_key", "reason_code", "reason_params")
# ``reason`` is the English sentence (a file outlives the reader's language and is read by tools);
# ``reason_code`` and ``reason_params`` (JSON) say the same for a program or another language.


def _text(value) -> str:
    return value or ""


def customers_csv(shop_id: int, page: int = PAGE) -> Iterator[str]:
    """The shop's customers with their total balance, tier and referral code."""
    yield from csvfile.lines([CUSTOMER_COLUMNS])
    after = 0
    while True:
        with session():
            rows = list(Customer.select().where((Customer.shop == shop_id) & (Customer.id > after))
                        .order_by(Customer.id).limit(page))
            if not rows:
                return
            ids = [c.id for c in rows]
            balance = dict(Balance.select(Balance.customer, fn.SUM(Balance.points)).where(
                Balance.customer.in_(ids)).group_by(Balance.customer).tuples())
            tier = dict(CustomerTier.select(CustomerTier.customer, CustomerTier.tier_id).where(
                CustomerTier.customer.in_(ids)).tuples())
            code = dict(ReferralCode.select(ReferralCode.customer, ReferralCode.code).where(
                ReferralCode.customer.in_(ids)).tuples())
        yield from csvfile.lines(
            (_text(c.platform_id), _text(c.email), _text(c.first_name), _text(c.last_name),
             c.birthday.isoformat() if c.birthday else "", int(balance.get(c.id, 0)), tier.get(c.id, ""),
             code.get(c.id, ""), c.lifetime_earned, c.created_at.isoformat())
            for c in rows)
        after = rows[-1].id


def ledger_csv(shop_id: int, page: int = PAGE) -> Iterator[str]:
    """Every ledger entry of the shop, oldest first, with the customer's platform id."""
    yield from csvfile.lines([LEDGER_COLUMNS])
    after = 0
    while True:
        with session():
            rows = list(LedgerEntry.select(LedgerEntry, Customer.platform_id)
                        .join(Customer, on=(LedgerEntry.customer == Customer.id))
                        .where((LedgerEntry.shop == shop_id) & (LedgerEntry.id > after))
                        .order_by(LedgerEntry.id).limit(page))
        if not rows:
            return
        yield from csvfile.lines(
            (e.id, e.created_at.isoformat(), _text(e.customer.platform_id), e.point_type, e.delta, e.kind,
             reasons.render(e.reason, "en"), _text(e.actor), e.lot_id or "", e.event_id or "",
             _text(e.idempotency_key), e.reason["code"],
             json.dumps(reasons.params(e.reason), ensure_ascii=False))
            for e in rows)
        after = rows[-1].id
