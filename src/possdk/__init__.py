"""possdk: build point-of-sale software in Python.

Exact money, a catalog with barcodes, tax, the sale and its tenders, register
sessions with X and Z reports, and plugins for everything else::

    import possdk

    store = possdk.Store.create(possdk.Settings(currency="UAH", locale="uk_UA"), ...)
    session = store.register("till-1").open_session(operator="olena", opening_float="500")
    sale = session.new_sale()
    sale.scan("4820000000017")
    sale.pay("cash", "500")
    receipt = sale.complete()
    text = receipt.as_text(locale="uk_UA")  # for the screen or the printer
"""

from possdk import errors
from possdk._hooks import hookimpl, hookspec
from possdk._store import Register, Settings, Store
from possdk.core import (
    Action,
    BarcodeLayouts,
    CashRounding,
    CashRoundingPolicy,
    Catalog,
    Discount,
    FixedClock,
    Gtin,
    MeasureKind,
    Money,
    Operator,
    Product,
    ProductKind,
    PromotionDiscount,
    Receipt,
    RegisterReport,
    RegisterSession,
    Role,
    RoundingMode,
    Sale,
    SaleState,
    SystemClock,
    TaxCategory,
    TaxMode,
    TaxPolicy,
    TaxRate,
    TaxRounding,
    Tender,
    TenderKind,
    Unit,
    VariableMeasureLayout,
    allocate,
    format_money,
)
from possdk.errors import PossdkError
from possdk.plugins import get_plugin_manager

__version__ = "0.1.0.dev0"

__all__ = [
    "Action",
    "BarcodeLayouts",
    "CashRounding",
    "CashRoundingPolicy",
    "Catalog",
    "Discount",
    "FixedClock",
    "Gtin",
    "MeasureKind",
    "Money",
    "Operator",
    "PossdkError",
    "Product",
    "ProductKind",
    "PromotionDiscount",
    "Receipt",
    "Register",
    "RegisterReport",
    "RegisterSession",
    "Role",
    "RoundingMode",
    "Sale",
    "SaleState",
    "Settings",
    "Store",
    "SystemClock",
    "TaxCategory",
    "TaxMode",
    "TaxPolicy",
    "TaxRate",
    "TaxRounding",
    "Tender",
    "TenderKind",
    "Unit",
    "VariableMeasureLayout",
    "__version__",
    "allocate",
    "errors",
    "format_money",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
]
