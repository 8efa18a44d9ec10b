"""A shop's data in and out as CSV: imports from other loyalty apps (with their runs and reports),
exports of customers and the ledger, and the shop's past orders for the economics simulator (a CSV
file or the platform's order listing: order_history, platform_history).

It imports core/, ledger/ and customers/, the simulator's order-line reader
(reports.economics.history) and platforms/ for their order listings."""
