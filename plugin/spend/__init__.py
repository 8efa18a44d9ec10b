"""Spending points: redemption holds and their codes, late commits, the rewards catalog, personal
offers, carts and the co-purchase figures the offers use.

It imports core/, program/, ledger/, customers/, tiers/ and platforms/; redemption hears of paid
and cancelled orders through the facts it handles (handlers)."""
