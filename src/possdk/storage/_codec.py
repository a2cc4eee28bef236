"""Explicit (de)serialisation of possdk values to JSON, with cattrs.

One converter, configured once: Decimals as exact strings, UUIDs as text,
datetimes as ISO 8601 in UTC, enums by value. ``canonical()`` gives the one
byte string a value hashes to: sorted keys, no whitespace, UTF-8.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from possdk.core import Event, Money, Receipt, RegisterReport, SaleSnapshot
from possdk.core._catalog import Product
from possdk.core._permissions import Role

__all__ = ["canonical", "dumps", "loads", "structure", "unstructure"]

T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def converter() -> cattrs.Converter:
    """The converter (built on first use)."""
    # Sets become sorted lists, so the same value always gives the same text.
    c = cattrs.Converter(
        forbid_extra_keys=True, unstruct_collection_overrides={AbstractSet: sorted}
    )
    c.register_unstructure_hook(Decimal, str)
    c.register_structure_hook(Decimal, lambda v, _: Decimal(v))
    c.register_unstructure_hook(uuid.UUID, str)
    c.register_structure_hook(uuid.UUID, lambda v, _: uuid.UUID(v))
    c.register_unstructure_hook(datetime, lambda d: d.isoformat())
    c.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    c.register_unstructure_hook(timedelta, lambda d: d // timedelta(microseconds=1))
    c.register_structure_hook(timedelta, lambda v, _: timedelta(microseconds=int(v)))
    c.register_unstructure_hook(Money, lambda m: {"amount": str(m.amount), "currency": m.currency})
    c.register_structure_hook(Money, lambda v, _: Money(v["amount"], v["currency"]))
    return c


def unstructure(value: Any) -> Any:
    """A value as JSON-ready dicts, lists, strings, numbers and booleans."""
    if isinstance(value, Event):
        data = converter().unstructure(value, unstructure_as=type(value))
        data["type"] = type(value).__name__
        return data
    return converter().unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """The inverse of :func:`unstructure` for a known class."""
    return converter().structure(data, cls)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(data: Any) -> str:
    """The canonical JSON text of already unstructured data."""
    return _ENCODE(data)


def canonical_with(data: dict[str, Any], key: str, raw: str) -> str:
    """Canonical JSON of ``data`` plus ``key`` whose value is the canonical JSON ``raw``.

    Splices an already encoded part in its sorted place, so a large part (a
    receipt) is encoded once even when it is stored twice.
    """
    parts = [(k, _ENCODE(v)) for k, v in data.items() if k != key]
    parts.append((key, raw))
    parts.sort()
    return "{" + ",".join(f"{_ENCODE(k)}:{v}" for k, v in parts) + "}"


def dumps(value: Any) -> str:
    """Canonical JSON of a possdk value."""
    return canonical(unstructure(value))


def loads(text: str, cls: type[T]) -> T:
    """Read a possdk value back from :func:`dumps` output."""
    return structure(json.loads(text), cls)


# Types stored as JSON, listed so a test can round-trip each of them.
STORED_TYPES = (Receipt, RegisterReport, SaleSnapshot, Product, Role)
