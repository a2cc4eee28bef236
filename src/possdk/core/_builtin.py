"""The built-in core plugin: national cash rounding defaults.

Registered through the same hooks a third-party plugin uses.
"""

from __future__ import annotations

from possdk._hooks import hookimpl
from possdk.core._tender import CashRounding, CashRoundingPolicy

_NATIONAL = CashRoundingPolicy.national()


@hookimpl(trylast=True)
def possdk_cash_rounding(currency: str) -> CashRounding | None:
    """Rounding where the smallest coins were withdrawn (UAH 0.10, CHF 0.05, ...)."""
    return _NATIONAL.for_currency(currency)
