"""Customers, loyalty programmes, the promotion engine and gift cards.

Not built yet: the core already calls the ``possdk_pricing_promotions`` hook
that the promotion engine will implement.
"""
