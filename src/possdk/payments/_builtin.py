"""The built-in payment plugin: cash, a stand-alone terminal, vouchers, gift cards, credit.

Registered through the same hook a third-party provider uses.
"""

from __future__ import annotations

from typing import Any

from possdk._hooks import hookimpl
from possdk.core import TenderKind
from possdk.payments._provider import (
    AccountProvider,
    CashProvider,
    ManualCardProvider,
    VoucherProvider,
)

BUILTIN_IDS = frozenset({"cash", "manual-terminal", "voucher", "gift-card", "store-credit"})


@hookimpl(trylast=True)
def possdk_payment_providers(store: Any) -> list[Any]:
    """Providers that need nothing outside the store."""
    return [
        CashProvider(),
        ManualCardProvider(),
        VoucherProvider(),
        AccountProvider(TenderKind.GIFT_CARD),
        AccountProvider(TenderKind.STORE_CREDIT),
    ]
