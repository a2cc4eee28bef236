"""Shared hypothesis strategies for possdk values (one module, used by every test)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from possdk import Money
from possdk.core import (
    Discount,
    SaleLine,
    TaxCategory,
    TaxRate,
    Unit,
)

CURRENCIES = ("UAH", "EUR", "USD", "JPY", "KWD", "CHF")
MINOR = {"UAH": 2, "EUR": 2, "USD": 2, "JPY": 0, "KWD": 3, "CHF": 2}


def currencies() -> st.SearchStrategy[str]:
    return st.sampled_from(CURRENCIES)


def minor_amounts(max_minor: int = 10**9, min_minor: int = -(10**9)) -> st.SearchStrategy[int]:
    return st.integers(min_value=min_minor, max_value=max_minor)


@st.composite
def money(
    draw: st.DrawFn,
    currency: str | None = None,
    *,
    min_minor: int = -(10**9),
    max_minor: int = 10**9,
) -> Money:
    """A whole number of minor units in some currency."""
    code = currency or draw(currencies())
    return Money.from_minor(draw(st.integers(min_minor, max_minor)), code)


def prices(currency: str = "UAH", max_minor: int = 10**7) -> st.SearchStrategy[Money]:
    """Non-negative prices in whole minor units."""
    return st.integers(0, max_minor).map(lambda m: Money.from_minor(m, currency))


def weights() -> st.SearchStrategy[Decimal]:
    """Non-negative allocation weights with a few decimals."""
    return st.decimals(
        min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False
    )


def percents() -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def tax_rates(code: str = "R") -> st.SearchStrategy[TaxRate]:
    return st.builds(
        TaxRate,
        code=st.just(code),
        percent=st.sampled_from(["0", "5", "7", "8.875", "12.5", "19", "20", "21", "25"]),
        compound=st.booleans(),
    )


@st.composite
def tax_categories(draw: st.DrawFn) -> TaxCategory:
    n = draw(st.integers(0, 3))
    rates = [draw(tax_rates(f"R{i}")) for i in range(n)]
    return TaxCategory(f"C{n}", rates)


def quantities(unit: Unit = Unit.EACH) -> st.SearchStrategy[Decimal]:
    if unit is Unit.EACH:
        return st.integers(1, 50).map(Decimal)
    return st.integers(1, 50_000).map(lambda g: Decimal(g).scaleb(-3))


@st.composite
def discounts(draw: st.DrawFn, currency: str = "UAH", max_amount: int = 10**5) -> Discount | None:
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "none":
        return None
    if kind == "percent":
        return Discount.percent(draw(percents()))
    return Discount.amount(Money.from_minor(draw(st.integers(0, max_amount)), currency).amount)


@st.composite
def sale_lines(draw: st.DrawFn, currency: str = "UAH", max_lines: int = 12) -> list[SaleLine]:
    n = draw(st.integers(1, max_lines))
    lines = []
    for i in range(1, n + 1):
        unit = draw(st.sampled_from([Unit.EACH, Unit.KILOGRAM]))
        lines.append(
            SaleLine(
                line_no=i,
                sku=f"SKU{i}",
                name=f"Item {i}",
                quantity=draw(quantities(unit)),
                unit=unit,
                unit_price=draw(prices(currency, 10**6)),
                tax_category=draw(tax_categories()),
                discount=draw(discounts(currency)),
                voided=draw(st.booleans()) if i > 1 else False,
            )
        )
    return lines
