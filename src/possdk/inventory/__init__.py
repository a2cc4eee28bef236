"""Stock per location as an append-only ledger, reordering, purchase orders.

Not built yet: arrives with the inventory issue.
"""
