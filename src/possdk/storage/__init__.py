"""Durable storage (SQLite, PostgreSQL) and the journal.

Not built yet: :class:`possdk.Store` keeps its data in memory until the
storage issue lands.
"""
