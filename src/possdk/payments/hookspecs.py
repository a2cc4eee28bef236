"""Hook specifications of the payments area: providers and the cash drawer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.payments._provider import LocalProvider, PaymentProvider

# ---- providers -----------------------------------------------------------------


@hookspec
def possdk_payment_providers(store: Store) -> list[PaymentProvider | LocalProvider]:
    """Return the payment providers this plugin contributes.

    Called once when the Store opens; every plugin's providers are collected.
    Provider ids must be unique across plugins: a clash raises PluginError.
    For a tender kind, an integrated provider (any not built in) is chosen
    over the built-in one, the latest registered first, unless
    ``sale.pay(..., provider=...)`` names one.
    """
    return []


# ---- drawer --------------------------------------------------------------------


@hookspec
def possdk_cash_drawer_open(register_id: str, reason: str) -> None:
    """Open the cash drawer of a register (called after a cash tender and for "no sale").

    The devices issue implements it with a real drawer kick; possdk calls it
    after the operation is kept. Exceptions are logged: the sale is final.
    """
