"""The built-in loyalty plugin (registered like a third-party one): the points tender."""

from __future__ import annotations

from typing import Any

from possdk._hooks import hookimpl


@hookimpl
def possdk_payment_providers(store: Any) -> list[Any]:
    """Loyalty points as a tender, burnt in the sale's own transaction."""
    from possdk.loyalty._points import PointsProvider

    return [PointsProvider(store)]
