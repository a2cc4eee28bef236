"""Payment providers (card terminals, wallets, gift cards) as plugins.

Not built yet: the core's tender arithmetic (:mod:`possdk.core`) takes cash
and records other tenders; providers that move money arrive with the
payments issue.
"""
