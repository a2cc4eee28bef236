"""Errors raised by possdk: one tree, drawn once.

Every error possdk raises derives from :class:`PossdkError`, carries its
context as attributes and says in its message what was wrong and what to do.
Third-party errors are wrapped with ``raise ... from``.

::

    PossdkError
     +-- ConfigurationError
     +-- MoneyError (also ValueError)
     |    +-- CurrencyMismatchError
     |    +-- UnknownCurrencyError
     |    +-- InvalidAmountError (also TypeError for floats)
     |    +-- AllocationError
     +-- InvalidBarcodeError (also ValueError)
     +-- CatalogError
     |    +-- ProductNotFoundError (also KeyError)
     |    +-- DuplicateProductError
     +-- TaxError
     +-- SaleError
     |    +-- SaleStateError
     |    +-- LineNotFoundError
     |    +-- InvalidQuantityError
     |    +-- InvalidDiscountError
     |    +-- TenderError
     |    +-- ReturnError
     +-- PermissionDeniedError
     +-- RegisterError
     |    +-- RegisterSessionStateError
     +-- StorageError
     |    +-- SchemaVersionError
     +-- PaymentError
     |    +-- PaymentDeclinedError
     |    +-- PaymentUnknownError
     |    +-- ProviderOfflineError
     |    +-- ProviderTimeoutError
     |    +-- IdempotencyError
     |    +-- PaymentStateError
     |    +-- OfflineLimitError
     |    +-- AccountError
     |    |    +-- GiftCardError
     |    +-- RefundError
     +-- InventoryError (also ValueError)
     |    +-- InsufficientStockError
     |    +-- StockDocumentError
     |    +-- CsvImportError
     +-- LoyaltyError (also ValueError)
     |    +-- CustomerNotFoundError
     |    +-- DuplicateCustomerError
     |    +-- InvalidCardNumberError
     |    +-- CardBlockedError
     |    +-- InsufficientPointsError
     |    +-- RedemptionError
     |    +-- CouponError
     |    +-- InvalidPromotionError
     |    +-- PromotionDataError
     +-- DeviceError
     |    +-- DeviceConfigError (also ValueError)
     |    +-- DeviceOfflineError
     |    +-- DeviceTimeoutError
     |    +-- DeviceNotReadyError
     +-- ReportError (also ValueError)
 |    +-- UnbalancedPostingsError
     +-- PluginError
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AccountError",
    "AllocationError",
    "CardBlockedError",
    "CatalogError",
    "ConfigurationError",
    "CouponError",
    "CsvImportError",
    "CurrencyMismatchError",
    "CustomerNotFoundError",
    "DeviceConfigError",
    "DeviceError",
    "DeviceNotReadyError",
    "DeviceOfflineError",
    "DeviceTimeoutError",
    "DuplicateCustomerError",
    "DuplicateProductError",
    "GiftCardError",
    "IdempotencyError",
    "InsufficientPointsError",
    "InsufficientStockError",
    "InvalidAmountError",
    "InvalidBarcodeError",
    "InvalidCardNumberError",
    "InvalidDiscountError",
    "InvalidPromotionError",
    "InvalidQuantityError",
    "InventoryError",
    "LineNotFoundError",
    "LoyaltyError",
    "MoneyError",
    "OfflineLimitError",
    "PaymentDeclinedError",
    "PaymentError",
    "PaymentStateError",
    "PaymentUnknownError",
    "PermissionDeniedError",
    "PluginError",
    "PossdkError",
    "ProductNotFoundError",
    "PromotionDataError",
    "ProviderOfflineError",
    "ProviderTimeoutError",
    "RedemptionError",
    "RefundError",
    "RegisterError",
    "RegisterSessionStateError",
    "ReportError",
    "ReturnError",
    "SaleError",
    "SaleStateError",
    "SchemaVersionError",
    "SessionTotalsChangedError",
    "StockDocumentError",
    "StorageError",
    "TaxError",
    "TenderError",
    "UnbalancedPostingsError",
    "UnknownCurrencyError",
]


class PossdkError(Exception):
    """The root of every error possdk raises."""


class ConfigurationError(PossdkError, ValueError):
    """A merchant setting is missing, contradictory or out of range."""


# ---- money ---------------------------------------------------------------


class MoneyError(PossdkError, ValueError):
    """A money value or operation is invalid."""


class CurrencyMismatchError(MoneyError):
    """Two amounts in different currencies were combined."""

    def __init__(self, left: str, right: str, operation: str) -> None:
        super().__init__(
            f"cannot {operation} {left} and {right}: amounts must be in the same "
            f"currency; convert one of them first"
        )
        self.left, self.right, self.operation = left, right, operation


class UnknownCurrencyError(MoneyError):
    """A currency code is not an ISO 4217 code known to CLDR."""

    def __init__(self, code: object) -> None:
        super().__init__(
            f"unknown currency code {code!r}: use an ISO 4217 code such as 'UAH', "
            f"'EUR' or 'USD' (upper case, three letters)"
        )
        self.code = code


class InvalidAmountError(MoneyError, TypeError):
    """An amount is of the wrong type (a float) or not a finite number."""

    def __init__(self, value: object, hint: str) -> None:
        super().__init__(hint)
        self.value = value


class AllocationError(MoneyError):
    """An amount cannot be allocated over the given weights."""


# ---- catalog and barcodes -------------------------------------------------


class InvalidBarcodeError(PossdkError, ValueError):
    """A scanned or typed barcode is malformed, has a bad check digit or an unknown layout."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"invalid barcode {code!r}: {reason}")
        self.code, self.reason = code, reason


class CatalogError(PossdkError):
    """The catalog cannot do what was asked."""


class ProductNotFoundError(CatalogError, KeyError):
    """No product matches a SKU, barcode or item code."""

    def __init__(self, key: str, by: str) -> None:
        super().__init__(f"no product with {by} {key!r}: check the code or add it to the catalog")
        self.key, self.by = key, by

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DuplicateProductError(CatalogError, ValueError):
    """Two products claim the same SKU, barcode or item code."""

    def __init__(self, key: str, by: str, existing_sku: str) -> None:
        super().__init__(
            f"{by} {key!r} already belongs to product {existing_sku!r}: "
            f"each {by} identifies exactly one product"
        )
        self.key, self.by, self.existing_sku = key, by, existing_sku


class TaxError(PossdkError, ValueError):
    """A tax rate or category is invalid."""


# ---- sales -----------------------------------------------------------------


class SaleError(PossdkError):
    """A sale operation failed."""


class SaleStateError(SaleError):
    """An operation is not allowed in the sale's current state."""

    def __init__(self, sale_id: object, state: Any, action: str, hint: str = "") -> None:
        state_name = getattr(state, "value", state)
        message = f"cannot {action} sale {sale_id}: it is {state_name}"
        super().__init__(f"{message}; {hint}" if hint else message)
        self.sale_id, self.state, self.action = sale_id, state, action


class LineNotFoundError(SaleError, KeyError):
    """A sale has no (active) line with that number."""

    def __init__(self, sale_id: object, line_no: int) -> None:
        super().__init__(f"sale {sale_id} has no active line {line_no}")
        self.sale_id, self.line_no = sale_id, line_no

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidQuantityError(SaleError, ValueError):
    """A quantity is zero, negative or finer than the product's unit allows."""


class InvalidDiscountError(SaleError, ValueError):
    """A discount is negative, above 100 % or larger than the amount it applies to."""


class TenderError(SaleError, ValueError):
    """A tender is invalid: wrong currency, non-positive, or change from a non-cash tender."""


class ReturnError(SaleError, ValueError):
    """A return asks for more than was sold, or for a line the receipt does not have."""


class PermissionDeniedError(PossdkError):
    """The operator may not do this and no supervisor approved it."""

    def __init__(self, action: Any, operator: str, detail: str = "") -> None:
        action_name = getattr(action, "value", action)
        message = (
            f"operator {operator!r} may not {action_name.replace('_', ' ')}"
            f"{' (' + detail + ')' if detail else ''}: ask a supervisor whose role "
            f"allows it and pass approved_by=<that operator>"
        )
        super().__init__(message)
        self.action, self.operator, self.detail = action, operator, detail


# ---- registers ---------------------------------------------------------------


class RegisterError(PossdkError):
    """A register (till) operation failed."""


class RegisterSessionStateError(RegisterError):
    """The register session is not in a state that allows this operation."""


class SessionTotalsChangedError(RegisterSessionStateError):
    """The session's totals changed while its Z report was being made; nothing was closed.

    Another till (or process) committed to the same session in between.
    ``RegisterSession.close`` builds the report again by itself a few times
    before letting this through; then close again.
    """


# ---- storage -------------------------------------------------------------------


class StorageError(PossdkError):
    """The store cannot read or write its database; nothing committed was lost."""


class SchemaVersionError(StorageError):
    """The database schema is older or newer than this possdk."""


# ---- payments ------------------------------------------------------------------


class PaymentError(PossdkError):
    """A payment could not be taken, voided or refunded as asked."""


class PaymentDeclinedError(PaymentError):
    """The provider declined the payment; no money moved. Take another tender."""

    def __init__(self, provider: str, code: str, reason: str, payment_id: object = None) -> None:
        super().__init__(
            f"{provider} declined the payment ({code}: {reason}); no money moved, "
            f"ask for another card or another tender"
        )
        self.provider, self.code, self.reason, self.payment_id = provider, code, reason, payment_id


class PaymentUnknownError(PaymentError):
    """The request may have reached the provider but no answer came back.

    possdk keeps the payment as unknown and looks it up (with the same
    idempotency key) before the sale can take another payment.
    """

    def __init__(self, provider: str, payment_id: object, detail: str = "") -> None:
        super().__init__(
            f"the outcome of payment {payment_id} at {provider} is unknown"
            f"{' (' + detail + ')' if detail else ''}: do not repeat it blindly; possdk asks "
            f"the provider with the same key once it is reachable (sale.check_payments() for a "
            f"sale's payment, store.payments.recover() for the rest)"
        )
        self.provider, self.payment_id = provider, payment_id


class ProviderOfflineError(PaymentError):
    """Raised by a provider that could not send the request at all: no money moved."""


class ProviderTimeoutError(PaymentError):
    """Raised by a provider when a request was (or may have been) sent but no answer came."""


class IdempotencyError(PaymentError):
    """An idempotency key was used again with different parameters."""


class PaymentStateError(PaymentError):
    """A payment cannot go from its current status to the one asked for."""


class OfflineLimitError(PaymentError):
    """The provider is offline and the store-and-forward policy does not allow this payment."""


class AccountError(PaymentError):
    """A gift card or store-credit account is unknown, blocked, empty or short of funds."""


class RefundError(PaymentError):
    """A refund asks for more than was captured, or a tender that cannot refund."""


# ---- inventory -----------------------------------------------------------------


class InventoryError(PossdkError, ValueError):
    """A stock operation names an unknown item or location, or a quantity that cannot be."""


class InsufficientStockError(InventoryError):
    """An item whose negative-stock policy is "block" does not have enough available.

    Nothing was moved: the sale (or transfer, or reservation) stays as it was.
    """

    def __init__(self, sku: str, location_id: str, wanted: Any, available: Any) -> None:
        super().__init__(
            f"{sku!r} at {location_id!r}: {wanted} wanted, {available} available and the item "
            f"may not go below zero; take the line off, sell less, or receive stock first"
        )
        self.sku, self.location_id, self.wanted, self.available = (
            sku,
            location_id,
            wanted,
            available,
        )


class StockDocumentError(InventoryError):
    """A purchase order, transfer or count cannot do this in its current status."""


class CsvImportError(InventoryError):
    """A CSV file has bad rows; nothing of it was imported.

    ``problems`` lists every bad row as ``(line, column, message)``.
    """

    def __init__(self, what: str, problems: list[tuple[int, str, str]]) -> None:
        shown = "; ".join(f"line {ln}, {col}: {msg}" for ln, col, msg in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(
            f"{what}: {len(problems)} bad row(s), nothing imported: {shown}{more}; "
            f"fix the file and import it again"
        )
        self.problems = problems


# ---- plugins -------------------------------------------------------------------


class PluginError(PossdkError):
    """A plugin failed to load, clashed with another, or broke a hook's contract."""


# ---- loyalty ---------------------------------------------------------------------


class LoyaltyError(PossdkError, ValueError):
    """A loyalty operation is not possible: the message says why and what to do."""


class CustomerNotFoundError(LoyaltyError):
    """No customer has this id, card number, phone or e-mail (``.key``)."""

    def __init__(self, key: str, message: str | None = None) -> None:
        super().__init__(message or f"no customer found for {key!r}: check it, or add the customer")
        self.key = key


class DuplicateCustomerError(LoyaltyError):
    """Another customer already has this phone or e-mail (``.field``, ``.value``)."""

    def __init__(self, field: str, value: str, other_id: str) -> None:
        super().__init__(
            f"another customer ({other_id}) already has the {field} {value!r}; "
            f"find that customer instead, or use another {field}"
        )
        self.field, self.value, self.other_id = field, value, other_id


class InvalidCardNumberError(LoyaltyError):
    """A typed or scanned loyalty card number is malformed or fails its check digit."""

    def __init__(self, number: str, message: str, expected: str | None = None) -> None:
        super().__init__(message)
        self.number, self.expected = number, expected


class CardBlockedError(LoyaltyError):
    """A loyalty card was blocked or replaced and cannot be used (``.number``, ``.status``)."""

    def __init__(self, number: str, status: Any, replaced_by: str | None = None) -> None:
        if getattr(status, "value", status) == "replaced":
            message = (
                f"loyalty card {number} was replaced by {replaced_by}; scan the new card "
                f"(or find the customer by phone)"
            )
        else:
            message = (
                f"loyalty card {number} is blocked and cannot be used; find the customer by "
                f"phone or e-mail, or issue a new card"
            )
        super().__init__(message)
        self.number, self.status, self.replaced_by = number, status, replaced_by


class InsufficientPointsError(LoyaltyError):
    """A customer has fewer points than an operation takes (``.balance``, ``.points``)."""

    def __init__(self, customer_id: str, balance: int, points: int) -> None:
        super().__init__(
            f"customer {customer_id} has {balance} points, not the {points} asked; "
            f"burn at most {max(balance, 0)}"
        )
        self.customer_id, self.balance, self.points = customer_id, balance, points


class RedemptionError(LoyaltyError):
    """Points cannot be burnt like this: below the minimum, not whole points, no programme."""


class CouponError(LoyaltyError):
    """A coupon code is unknown, inactive, out of its dates, used up or over a customer's limit.

    Raised when the code is entered, before the first tender, or inside the
    completing transaction (the sale then rolls back and stays tendering:
    remove the coupon or void the sale). ``code`` is the code.
    """

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidPromotionError(LoyaltyError):
    """A promotion, condition or benefit was built with a value that cannot be.

    ``field`` names the offending field (``"percent"``, ``"quantity"``).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class PromotionDataError(LoyaltyError):
    """A promotions document has problems; nothing of it was loaded.

    ``problems`` lists every problem as ``(path, message)``, the path naming
    the field: ``("promotions[3].benefit.percent", "must be ...")``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        shown = "; ".join(f"{path}: {message}" for path, message in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{shown}{more}")
        self.problems = list(problems)


class GiftCardError(AccountError):
    """A gift card cannot be sold, loaded, spent, refunded or returned as asked.

    Raised before the first tender (nothing moved) or inside the completing
    transaction (the sale rolls back and stays tendering). ``number`` is the
    card's number, if there is one.
    """

    def __init__(self, number: str | None, message: str) -> None:
        super().__init__(message)
        self.number = number


# ---- devices ---------------------------------------------------------------------


class DeviceError(PossdkError):
    """A device cannot do what was asked; ``device`` names it (its spec's name)."""

    def __init__(self, device: str | None, message: str) -> None:
        super().__init__(f"{device}: {message}" if device else message)
        self.device = device


class DeviceConfigError(DeviceError, ValueError):
    """A device spec or URL is wrong: an unknown kind, driver or transport, a bad option."""


class DeviceOfflineError(DeviceError):
    """The device cannot be reached (not connected, refused, unplugged)."""


class DeviceTimeoutError(DeviceError):
    """The device did not answer within its timeout."""


class DeviceNotReadyError(DeviceError):
    """The device answers but cannot work now: paper out, cover open, scale unstable.

    ``status`` is the :class:`~possdk.drivers.DeviceStatus` it reported.
    """

    def __init__(self, device: str | None, message: str, status: Any = None) -> None:
        super().__init__(device, message)
        self.status = status


# ---- reports ---------------------------------------------------------------------


class ReportError(PossdkError, ValueError):
    """A report was asked for something it cannot give: an empty period, an unknown ranking."""


class UnbalancedPostingsError(ReportError):
    """A business day's debits and credits differ: the export refuses to plug the gap."""

    def __init__(self, day: Any, difference: Any) -> None:
        super().__init__(
            f"postings for {day.isoformat()} do not balance: debits minus credits is "
            f"{difference}; the sales data is inconsistent, run store checks before exporting"
        )
        self.day, self.difference = day, difference
