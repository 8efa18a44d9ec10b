"""The only code that moves points: the book of entries, lots and balances (book: grants; debits:
reversals, spends, restores, charges, expiry; handover: transfers between shoppers; reads), and
what builds on it: reversal, expiry, transfers, manual and bulk adjustments, and the audit of the invariants.

It imports core/ and program/ only; everything that reacts to a movement subscribes to the
facts it publishes (plugin.core.bus) instead of being called from here."""

from plugin.ledger.book import DEBT, REGULAR, Grant, LedgerError, ShortOfPoints, grant, grant_many
from plugin.ledger.debits import (
    Take,
    charge,
    debit,
    expire,
    expire_customers,
    restore,
    spend,
    take_many,
)
from plugin.ledger.handover import TRANSFER, transfer, transfer_done
from plugin.ledger.reads import (
    balances,
    entries,
    expiring_among,
    lots_held,
    open_lots,
    spendable,
    spendable_among,
    totals,
)

__all__ = [
    "DEBT",
    "Grant",
    "LedgerError",
    "REGULAR",
    "ShortOfPoints",
    "TRANSFER",
    "Take",
    "balances",
    "charge",
    "debit",
    "entries",
    "expire",
    "expiring_among",
    "expire_customers",
    "grant",
    "grant_many",
    "lots_held",
    "open_lots",
    "restore",
    "spend",
    "spendable",
    "spendable_among",
    "take_many",
    "totals",
    "transfer",
    "transfer_done",
]
