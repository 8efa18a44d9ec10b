"""Spending points: redemption holds and their codes, late commits, the rewards catalog, personal
offers, carts and the co-purchase figures the offers use.

It imports core/, program/, ledger/, customers/, tiers/ and platforms/."""
