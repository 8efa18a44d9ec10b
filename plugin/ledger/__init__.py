"""The only code that moves points: the book of entries, lots and balances (book), and what builds on it:
reversal, expiry, transfers, manual and bulk adjustments, and the audit of the invariants.

It imports core/ and program/ only; everything that reacts to a movement subscribes to the
facts it publishes (plugin.pipeline.bus) instead of being called from here."""

from plugin.ledger.book import (
    DEBT,
    REGULAR,
    TRANSFER,
    Grant,
    LedgerError,
    ShortOfPoints,
    balances,
    charge,
    debit,
    entries,
    expire,
    grant,
    grant_many,
    open_lots,
    restore,
    spend,
    spendable,
    transfer,
    transfer_done,
)

__all__ = [
    "DEBT",
    "Grant",
    "LedgerError",
    "REGULAR",
    "ShortOfPoints",
    "TRANSFER",
    "balances",
    "charge",
    "debit",
    "entries",
    "expire",
    "grant",
    "grant_many",
    "open_lots",
    "restore",
    "spend",
    "spendable",
    "transfer",
    "transfer_done",
]
