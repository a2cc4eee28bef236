"""Sales analytics, exports, accounting and integrations (webhooks).

X and Z register reports live in :mod:`possdk.core` today. Names are
imported on first use, so ``import possdk`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from possdk.reports._webhooks import (
        Delivery,
        DeliveryStatus,
        Dispatcher,
        PassReport,
        RetryPolicy,
        Subscription,
        Transport,
        Webhooks,
        http_post,
        sign,
        verify_signature,
    )

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "Dispatcher",
    "PassReport",
    "RetryPolicy",
    "Subscription",
    "Transport",
    "Webhooks",
    "http_post",
    "sign",
    "verify_signature",
]

_WEBHOOKS = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name in _WEBHOOKS:
        from possdk.reports import _webhooks

        return getattr(_webhooks, name)
    raise AttributeError(f"module 'possdk.reports' has no attribute {name!r}")
