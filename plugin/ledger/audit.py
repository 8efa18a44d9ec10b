"""The ledger invariants of DESIGN.md, checked with a few aggregate queries.

For every customer and point type: balance == sum of ledger entries == sum of open lots; every
lot holds between 0 and its original points (a debt lot: at most 0, the only way a balance goes
below zero) and equals the sum of its own entries; every entry, lot and balance belongs to its
customer's shop.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from peewee import fn

from plugin.core.models import Balance, Customer, LedgerEntry, Lot
from plugin.ledger.book import DEBT


@dataclass(frozen=True)
class Problem:
    shop_id: int
    customer: str  # the platform id, as the store knows the customer
    message: str

    def __str__(self) -> str:
        return f"shop {self.shop_id} customer {self.customer}: {self.message}"


def _sums(query) -> dict[tuple[int, str], int]:
    return {(row.customer_id, row.point_type): int(row.total) for row in query}


def check(shop_id: int | None = None) -> list[Problem]:
    """Every broken invariant, optionally for one shop; an empty list means the ledger is sound."""
    def scoped(query, model):
        return query if shop_id is None else query.where(model.shop == shop_id)

    balances = _sums(scoped(Balance.select(Balance.customer, Balance.point_type,
                                           Balance.points.alias("total")), Balance))
    entry_sums = _sums(scoped(LedgerEntry.select(
        LedgerEntry.customer, LedgerEntry.point_type, fn.SUM(LedgerEntry.delta).alias("total")
    ), LedgerEntry).group_by(LedgerEntry.customer, LedgerEntry.point_type))
    lot_sums = _sums(scoped(Lot.select(
        Lot.customer, Lot.point_type, fn.SUM(Lot.remaining).alias("total")
    ), Lot).group_by(Lot.customer, Lot.point_type))

    found: dict[int, list[str]] = defaultdict(list)
    for key in balances.keys() | entry_sums.keys() | lot_sums.keys():
        customer_id, point_type = key
        balance, entries, lots = balances.get(key, 0), entry_sums.get(key, 0), lot_sums.get(key, 0)
        if not balance == entries == lots:
            found[customer_id].append(
                f"{point_type}: balance {balance}, ledger sum {entries}, open lots {lots}")

    lot_entries = dict(scoped(LedgerEntry.select(
        LedgerEntry.lot, fn.SUM(LedgerEntry.delta)
    ), LedgerEntry).where(LedgerEntry.lot.is_null(False)).group_by(LedgerEntry.lot).tuples())
    for lot in scoped(Lot.select(Lot.id, Lot.customer, Lot.original, Lot.remaining, Lot.source), Lot):
        if lot.source == DEBT:  # a negative balance is only ever held by a debt lot
            if lot.remaining > 0:
                found[lot.customer_id].append(f"debt lot {lot.id} holds {lot.remaining} points")
        elif not 0 <= lot.remaining <= lot.original:
            found[lot.customer_id].append(
                f"lot {lot.id}: remaining {lot.remaining} outside 0..{lot.original}")
        if int(lot_entries.get(lot.id, 0)) != lot.remaining:
            found[lot.customer_id].append(
                f"lot {lot.id}: remaining {lot.remaining}, its entries sum to "
                f"{int(lot_entries.get(lot.id, 0))}")

    for model in (LedgerEntry, Lot, Balance):
        strays = scoped(model.select(model.customer).join(
            Customer, on=(model.customer == Customer.id)
        ).where(model.shop != Customer.shop), model)
        for row in strays:
            found[row.customer_id].append(f"a {model.__name__} row belongs to another shop")

    if not found:
        return []
    owners = {c.id: c for c in Customer.select(Customer.id, Customer.shop, Customer.platform_id)
              .where(Customer.id.in_(list(found)))}
    return [Problem(owners[cid].shop_id, owners[cid].platform_id, message)
            for cid, messages in sorted(found.items()) for message in messages]
