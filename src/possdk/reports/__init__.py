"""Reports, exports, accounting and integrations (webhooks).

X and Z register reports live in :mod:`possdk.core` today. ``import possdk``
does not import this package; a Store imports what it uses when it opens.
"""

from __future__ import annotations

from possdk.reports._accounting import (
    AccountMap,
    DayPostings,
    JournalEntry,
    Posting,
    business_day_range,
    postings_for_day,
    to_beancount,
    to_csv,
)
from possdk.reports._analytics import (
    Analytics,
    CategorySales,
    DaySales,
    DiscountsByPromotion,
    HourWeekdayHeatmap,
    Margins,
    ProductSales,
    PromotionDiscount,
    SalesByDay,
    SalesSummary,
    SlowMover,
    SlowMovers,
    TaxRateSales,
    TenderSales,
    TopProducts,
)
from possdk.reports._html import SalesReport, sales_report_html
from possdk.reports._webhooks import (
    Delivery,
    DeliveryAttempt,
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
    "AccountMap",
    "Analytics",
    "CategorySales",
    "DayPostings",
    "DaySales",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "DiscountsByPromotion",
    "Dispatcher",
    "HourWeekdayHeatmap",
    "JournalEntry",
    "Margins",
    "PassReport",
    "Posting",
    "ProductSales",
    "PromotionDiscount",
    "RetryPolicy",
    "SalesByDay",
    "SalesReport",
    "SalesSummary",
    "SlowMover",
    "SlowMovers",
    "Subscription",
    "TaxRateSales",
    "TenderSales",
    "TopProducts",
    "Transport",
    "Webhooks",
    "business_day_range",
    "http_post",
    "postings_for_day",
    "sales_report_html",
    "sign",
    "to_beancount",
    "to_csv",
    "verify_signature",
]
