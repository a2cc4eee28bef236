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
    HourWeekdayHeatmap,
    ProductSales,
    SalesByDay,
    SalesSummary,
    SlowMover,
    SlowMovers,
    TenderSales,
    TopProducts,
)
from possdk.reports._webhooks import (
    Delivery,
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
    "DeliveryStatus",
    "Dispatcher",
    "HourWeekdayHeatmap",
    "JournalEntry",
    "PassReport",
    "Posting",
    "ProductSales",
    "RetryPolicy",
    "SalesByDay",
    "SalesSummary",
    "SlowMover",
    "SlowMovers",
    "Subscription",
    "TenderSales",
    "TopProducts",
    "Transport",
    "Webhooks",
    "business_day_range",
    "http_post",
    "postings_for_day",
    "sign",
    "to_beancount",
    "to_csv",
    "verify_signature",
]
