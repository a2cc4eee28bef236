"""``store.loyalty``: customers, points, promotions, coupons and gift cards of one store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Receipt, Sale
    from possdk.loyalty._coupons import Coupons
    from possdk.loyalty._customers import Customer, Customers
    from possdk.loyalty._gift_cards import GiftCards
    from possdk.loyalty._points import Points
    from possdk.loyalty._promotions_service import Promotions
    from possdk.storage import UnitOfWork

__all__ = ["Loyalty"]


class Loyalty:
    """Everything the store knows about customers and what they are owed.

    ``store.loyalty.customers`` (profiles and loyalty cards),
    ``store.loyalty.points`` (the points ledger and tiers),
    ``store.loyalty.promotions`` (the promotion engine),
    ``store.loyalty.coupons`` and ``store.loyalty.gift_cards``. What a sale
    earns, burns and redeems is written in the sale's own transaction.
    """

    def __init__(self, store: Store) -> None:
        from possdk.loyalty._coupons import Coupons
        from possdk.loyalty._customers import Customers
        from possdk.loyalty._gift_cards import GiftCards
        from possdk.loyalty._points import Points

        self._store = store
        self.customers: Customers = Customers(store)
        """Customer profiles and loyalty cards."""
        self.points: Points = Points(store)
        """The points programme: earn and burn rules, tiers, each customer's ledger."""
        self.coupons: Coupons = Coupons(store)
        """Coupon codes and their redemptions."""
        self.gift_cards: GiftCards = GiftCards(store)
        """Gift cards: issue, reload, balance, expiry (liability accounts)."""
        self._promotions: Promotions | None = None

    @property
    def promotions(self) -> Promotions:
        """The store's promotions and the engine that applies them."""
        if self._promotions is None:
            from possdk.loyalty._promotions_service import Promotions

            self._promotions = Promotions(self._store)
        return self._promotions

    def identify(self, sale: Sale, key: str) -> Customer:
        """Find the customer by loyalty card number, phone or e-mail and put them on ``sale``."""
        return self.customers.identify(sale, key)

    # ---- called by the store -------------------------------------------------------

    def _check_sale(self, sale: Sale) -> None:
        """Refuse, before the first tender, a sale that cannot complete (a bad coupon or card)."""
        self.coupons._check_sale(sale)
        self.gift_cards._check_sale(sale)
        self.points._check_sale(sale)

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> tuple[int, int] | None:
        """Redeem coupons, credit gift cards, earn or return points (the sale's transaction).

        What a sale earned its customer and their balance after, for the receipt.
        """
        self.coupons._apply_receipt(uow, receipt)
        self.gift_cards._apply_receipt(uow, receipt)
        return self.points._apply_receipt(uow, receipt)
