"""Operators, roles, and the actions a merchant restricts to supervisors."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import attrs

from possdk.core._money import to_decimal
from possdk.errors import ConfigurationError, PermissionDeniedError

__all__ = ["Action", "Approval", "Operator", "Role", "authorize"]


class Action(enum.Enum):
    """An action a merchant may restrict to some roles."""

    PRICE_OVERRIDE = "override_price"
    """Change a line's price."""
    DISCOUNT = "give_discount"
    """Give a manual discount; allowed up to the role's ``max_discount_percent``."""
    VOID_LINE = "void_line"
    """Remove a line (or lower its quantity) after it was added."""
    VOID_SALE = "void_sale"
    """Cancel a whole sale before it completes."""
    REFUND = "refund"
    """Take a return against a receipt."""
    REFUND_WITHOUT_RECEIPT = "refund_without_receipt"
    """Take a return with no receipt to refer to."""
    NO_SALE = "open_drawer_without_sale"
    """Open the cash drawer with no sale ("no sale")."""
    PAID_IN_OUT = "pay_in_or_out"
    """Put cash into or take cash out of the drawer (paid in / paid out)."""


def _actions(value: Iterable[Action]) -> frozenset[Action]:
    return frozenset(value)


def _percent(value: object) -> Decimal:
    result = to_decimal(value, "max_discount_percent")
    if not 0 <= result <= 100:
        raise ConfigurationError(f"max_discount_percent must be 0 to 100, got {result}")
    return result


@attrs.frozen
class Role:
    """A set of permitted actions and a discount limit.

    ``Role("cashier", max_discount_percent="5")`` may give up to 5 % off
    without approval and nothing else restricted.
    """

    name: str
    """The role's name: ``"cashier"``, ``"supervisor"``, ..."""
    allowed: frozenset[Action] = attrs.field(factory=frozenset, converter=_actions)
    """Restricted actions this role may take without approval."""
    max_discount_percent: Decimal = attrs.field(default=Decimal(0), converter=_percent)
    """The largest manual discount, in percent of what it applies to, given without approval."""

    def may(self, action: Action) -> bool:
        """True if this role may take ``action`` on its own."""
        return action in self.allowed

    @classmethod
    def cashier(cls) -> Role:
        """A default cashier: up to 5 % discount, nothing else restricted."""
        return cls("cashier", (), Decimal(5))

    @classmethod
    def supervisor(cls) -> Role:
        """A default supervisor: every action, any discount."""
        return cls("supervisor", tuple(Action), Decimal(100))


@attrs.frozen
class Operator:
    """A person who works the till."""

    id: str
    """A stable identifier, e.g. a staff number."""
    name: str
    """The name printed on receipts and reports."""
    role: Role
    """What the operator may do."""


@attrs.frozen
class Approval:
    """A record that ``approved_by`` let ``operator`` take ``action``."""

    action: Action
    """What was approved."""
    operator: str
    """Who asked (operator id)."""
    approved_by: str
    """Who approved (operator id); equal to ``operator`` when the role allowed it outright."""
    at: datetime
    """When."""
    detail: str = ""
    """What exactly: ``"line 3: 15% off"``."""


def authorize(
    action: Action,
    operator: Operator,
    approved_by: Operator | None,
    at: datetime,
    *,
    detail: str = "",
    discount_percent: Decimal | None = None,
) -> Approval | None:
    """Check that ``operator`` (or ``approved_by``) may take ``action``.

    Returns None if the operator's own role allows it and no approval is
    needed, or the :class:`Approval` to record when a supervisor approved.

    For :attr:`Action.DISCOUNT`, pass ``discount_percent``: a discount within
    the role's limit needs no permission.

    Raises:
        PermissionDeniedError: neither the operator nor the approver may.
    """

    def allows(role: Role) -> bool:
        if action is Action.DISCOUNT:
            assert discount_percent is not None
            return discount_percent <= role.max_discount_percent
        return role.may(action)

    if allows(operator.role):
        return None
    if approved_by is not None and allows(approved_by.role):
        return Approval(action, operator.id, approved_by.id, at, detail)
    if approved_by is not None:
        detail = f"{detail}; {approved_by.id!r} may not approve it either".lstrip("; ")
    raise PermissionDeniedError(action, operator.id, detail)
