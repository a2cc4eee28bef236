"""Payments: providers for every tender, exactly-once calls, refunds, store-and-forward.

Cash, a stand-alone card terminal, vouchers, gift cards and store credit are
built in; integrated card terminals and wallets are plugins implementing
:class:`PaymentProvider` (``CardTerminalSimulator`` is one, for tests and
demos). The store keeps every payment and every call's idempotency key.
"""

from __future__ import annotations

from possdk.core import CardDisplay
from possdk.payments._model import (
    TRANSITIONS,
    Capabilities,
    CardInput,
    OfflinePolicy,
    Operation,
    Outcome,
    Payment,
    PaymentRequest,
    PaymentStatus,
    ProviderResult,
    luhn_valid,
    mask_pans,
)
from possdk.payments._provider import (
    AccountProvider,
    CashProvider,
    LocalProvider,
    ManualCardProvider,
    PaymentProvider,
    VoucherProvider,
)
from possdk.payments._simulator import Behaviour, CardTerminalSimulator, Step

__all__ = [
    "TRANSITIONS",
    "AccountProvider",
    "Behaviour",
    "Capabilities",
    "CardDisplay",
    "CardInput",
    "CardTerminalSimulator",
    "CashProvider",
    "LocalProvider",
    "ManualCardProvider",
    "OfflinePolicy",
    "Operation",
    "Outcome",
    "Payment",
    "PaymentProvider",
    "PaymentRequest",
    "PaymentStatus",
    "ProviderResult",
    "Step",
    "VoucherProvider",
    "luhn_valid",
    "mask_pans",
]
