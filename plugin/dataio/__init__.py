"""A shop's data in and out as CSV: imports from other loyalty apps (with their runs and reports)
and exports of customers and the ledger.

It imports core/, ledger/ and customers/."""
