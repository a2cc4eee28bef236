"""Hook specifications of loyalty: custom promotion conditions.

Every hook is named ``possdk_<area>_<verb>`` and typed with domain values.
Implement one with ``@possdk.hookimpl`` in a module or class and register it
through the ``possdk`` entry-point group (or ``Store.create(plugins=[...])``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk.loyalty._promo_model import Condition

# ---- promotions --------------------------------------------------------------


@hookspec
def possdk_promotion_conditions() -> dict[str, Callable[..., Condition]]:
    """Return custom promotion condition types by the name data uses for them.

    Called when the store's promotions are loaded from JSON or YAML: a
    condition ``{"type": "weather", "sky": "sunny"}`` is built by calling the
    factory registered as ``"weather"`` with the other fields as keyword
    arguments (``Weather(sky="sunny")``). The factory is usually an attrs
    frozen class with a ``matches(basket, context) -> bool`` method (see
    :class:`~possdk.loyalty.Condition`); an attrs class is also written back to
    data by itself. Names must not clash with a built-in condition type or
    another plugin's: a clash raises :class:`~possdk.errors.PluginError`
    naming it.
    """
    return {}
