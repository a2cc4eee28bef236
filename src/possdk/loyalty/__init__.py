"""Customers and what they are owed: points, promotions, coupons and gift cards.

Reach it as ``store.loyalty`` (a :class:`Loyalty`): ``customers`` (profiles
and loyalty cards), ``points`` (the programme, tiers and each customer's
ledger), ``promotions`` (what the pure :class:`PromotionEngine` applies
whenever a sale is priced), ``coupons`` and ``gift_cards``. What a sale
earns, burns and redeems is written in the completing sale's own transaction.
"""

from __future__ import annotations

from possdk.errors import (
    CardBlockedError,
    CouponError,
    CustomerNotFoundError,
    DuplicateCustomerError,
    GiftCardError,
    InsufficientPointsError,
    InvalidCardNumberError,
    LoyaltyError,
    RedemptionError,
)
from possdk.loyalty._coupons import (
    CODE_ALPHABET,
    Coupon,
    CouponRedemption,
    Coupons,
    coupon_check_char,
)
from possdk.loyalty._customers import LOYALTY_TERMINAL, Customers
from possdk.loyalty._gift_cards import (
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    GiftCardPolicy,
    GiftCards,
)
from possdk.loyalty._loyalty_model import (
    CardStatus,
    Customer,
    LoyaltyCard,
    LoyaltyProgramme,
    PointsCheck,
    PointsKind,
    PointsMovement,
    Tier,
    normalise_card_number,
    normalise_email,
    normalise_phone,
)
from possdk.loyalty._points import Points, PointsProvider
from possdk.loyalty._promo_data import (
    BENEFIT_TYPES,
    CONDITION_TYPES,
    PromotionDataError,
    dump_promotions,
    load_promotions,
    promotion_to_data,
    promotions_from_data,
)
from possdk.loyalty._promo_engine import (
    AppliedPromotion,
    Evaluation,
    PointsAward,
    PromotionEngine,
)
from possdk.loyalty._promo_model import (
    AmountOff,
    Benefit,
    BundlePrice,
    BuyXGetY,
    Channel,
    Choose,
    Condition,
    CouponPresent,
    CustomerTier,
    DateRange,
    ExtraPoints,
    InvalidPromotionError,
    ItemsInCart,
    MinimumSpend,
    PercentOff,
    Promotion,
    PromotionContext,
    Schedule,
    SpendThresholdReward,
    Stacking,
    TimeOfDay,
)
from possdk.loyalty._promotions_service import Promotions
from possdk.loyalty._service import Loyalty

__all__ = [
    "BENEFIT_TYPES",
    "CODE_ALPHABET",
    "CONDITION_TYPES",
    "LOYALTY_TERMINAL",
    "AmountOff",
    "AppliedPromotion",
    "Benefit",
    "BundlePrice",
    "BuyXGetY",
    "CardBlockedError",
    "CardStatus",
    "Channel",
    "Choose",
    "Condition",
    "Coupon",
    "CouponError",
    "CouponPresent",
    "CouponRedemption",
    "Coupons",
    "Customer",
    "CustomerNotFoundError",
    "CustomerTier",
    "Customers",
    "DateRange",
    "DuplicateCustomerError",
    "Evaluation",
    "ExtraPoints",
    "GiftCard",
    "GiftCardEntry",
    "GiftCardEntryKind",
    "GiftCardError",
    "GiftCardPolicy",
    "GiftCards",
    "InsufficientPointsError",
    "InvalidCardNumberError",
    "InvalidPromotionError",
    "ItemsInCart",
    "Loyalty",
    "LoyaltyCard",
    "LoyaltyError",
    "LoyaltyProgramme",
    "MinimumSpend",
    "PercentOff",
    "Points",
    "PointsAward",
    "PointsCheck",
    "PointsKind",
    "PointsMovement",
    "PointsProvider",
    "Promotion",
    "PromotionContext",
    "PromotionDataError",
    "PromotionEngine",
    "Promotions",
    "RedemptionError",
    "Schedule",
    "SpendThresholdReward",
    "Stacking",
    "Tier",
    "TimeOfDay",
    "coupon_check_char",
    "dump_promotions",
    "load_promotions",
    "normalise_card_number",
    "normalise_email",
    "normalise_phone",
    "promotion_to_data",
    "promotions_from_data",
]
