"""Sales analytics, exports and accounting.

Not built yet: X and Z register reports live in :mod:`possdk.core` today.
"""
