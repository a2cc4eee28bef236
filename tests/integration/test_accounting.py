"""The accounting export: hand-computed postings for one day, on SQLite and PostgreSQL;
every generated day balances and reconciles with its receipts; CSV and beancount."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from possdk import Catalog, FixedClock, Money, Product, Settings, Store, TaxCategory, TaxRate
from possdk.core import ProductKind
from possdk.errors import ConfigurationError
from possdk.loyalty import LoyaltyProgramme
from possdk.reports import (
    AccountMap,
    DayPostings,
    postings_for_day,
    to_beancount,
    to_csv,
)
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore

DAY = date(2026, 11, 27)
CARD = "60000000000000000015"


def luhn(stem: str) -> str:
    """``stem`` with its Luhn check digit appended: a valid gift card number."""
    total = 0
    for i, ch in enumerate(reversed(stem)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return stem + str((10 - total % 10) % 10)


def shop_catalog() -> Catalog:
    def m(value: str) -> Money:
        return Money(value, "UAH")

    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20", name="VAT")]), TaxCategory("exempt", [])],
        [
            Product("COFFEE", "Coffee beans", m("189.00"), "standard"),
            Product("GUM", "Gum", m("8.01"), "standard"),
            Product("BOOK", "Book", m("250.00"), "exempt"),
            Product("GIFT", "Gift card", m("0.00"), "exempt", kind=ProductKind.GIFT_CARD),
        ],
    )


def ring_up_the_day(store: Store) -> dict[str, Any]:
    """Cash + card sales, a gift card sold and spent, a discount, cash rounding, points
    burnt and earned, a tracked item with a cost, and a card return."""
    store.inventory.receive_stock([("COFFEE", 10, "100.00")])
    points = store.loyalty.points
    points.configure(
        LoyaltyProgramme(
            points_per_unit=1,
            spend_unit=Decimal("10"),
            point_value=Decimal("0.10"),
            min_redemption=1,
        )
    )
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    points.adjust(olha.id, 100, "welcome")  # 10.00 of liability, expensed
    session = store.register("till-1").open_session(operator=CASHIER.id)

    a = session.new_sale()  # 189.00 + 8.01 in cash: rounded to 197.00
    a.add("COFFEE")
    a.add("GUM")
    a.pay("cash", "200")
    a.complete()

    b = session.new_sale()  # coffee less 10 % by card, and a 500.00 gift card
    b.add("COFFEE")
    b.discount_sale(percent=10, approved_by=SUPERVISOR.id)
    b.add_gift_card("GIFT", CARD, "500.00")
    b.pay("card")
    sale_b = b.complete()

    c = session.new_sale()  # a book paid with 50 points and the gift card
    c.add("BOOK")
    store.loyalty.identify(c, "0671234567")
    c.pay("points", "5.00")
    c.pay("gift_card", reference=CARD)
    c.complete()

    r = session.new_return(sale_b, approved_by=SUPERVISOR.id)  # the coffee comes back
    r.return_line(1)
    r.refund("card")
    r.complete()
    earned = sum(m.points for m in points.movements(olha.id) if m.kind.value in ("earn", "adjust"))
    return {"earned": earned}


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> tuple[Store, dict[str, Any]]:
    store = open_store(durable_url, catalog=shop_catalog())
    return store, ring_up_the_day(store)


def test_a_day_becomes_hand_computed_balanced_postings(
    shop: tuple[Store, dict[str, Any]],
) -> None:
    store, facts = shop
    day = postings_for_day(store, DAY)
    got: dict[str, Decimal] = {}
    for p in day.postings:
        if not p.key.startswith("points"):
            got[p.account] = got.get(p.account, Decimal(0)) + p.amount.amount
    assert got == {
        # debits: what the tenders took, and the cash rounding given away
        "Assets:Cash": Decimal("197.00"),
        "Assets:Clearing:Card": Decimal("500.00"),  # 670.10 - 170.10 refunded
        "Liabilities:LoyaltyPoints": Decimal("5.00"),  # burnt points settle the debt
        "Income:CashRounding": Decimal("0.01"),
        # credits: revenue net of tax after discounts, tax, money put on the card
        # (the card's spend, 245.00, is a debit in the same account)
        "Income:Sales:VAT20": Decimal("-164.17"),  # 157.50 + 6.67 (+141.75 - 141.75)
        "Liabilities:Tax:VAT20": Decimal("-32.84"),  # 31.50 + 1.34
        "Income:Sales:Untaxed": Decimal("-250.00"),
        "Liabilities:GiftCards": Decimal("-255.00"),  # -500.00 loaded + 245.00 spent
        # ten coffees delivered at 100.00, one sold for good
        "Expenses:COGS": Decimal("100.00"),
        "Assets:Inventory": Decimal("900.00"),  # 1000.00 in, 100.00 out
        "Liabilities:GoodsReceived": Decimal("-1000.00"),
    }
    points = {p.key: p.amount.amount for p in day.postings if p.key.startswith("points")}
    value = Decimal(facts["earned"]) * Decimal("0.10")
    assert points == {"points_expense": value, "points": -value}
    assert facts["earned"] > 100  # the welcome points and what the book earned
    assert day.entry.debits == day.entry.credits
    # GUM and BOOK have no cost (a gift card line moves no stock at all)
    assert (day.sales, day.returns, day.uncosted_movements) == (3, 1, 2)
    assert day.total == Money("947.01", "UAH")  # 197.01 + 670.10 + 250.00 - 170.10


def test_postings_of_two_keys_in_one_account_stay_apart_and_sum(
    shop: tuple[Store, dict[str, Any]],
) -> None:
    store, _ = shop
    day = postings_for_day(store, DAY)
    gift = {p.key: p.amount.amount for p in day.postings if p.account == "Liabilities:GiftCards"}
    assert gift == {"gift_cards": Decimal("-500.00"), "tender:gift_card": Decimal("245.00")}


def test_the_merchants_chart_of_accounts_replaces_the_defaults(
    shop: tuple[Store, dict[str, Any]],
) -> None:
    store, _ = shop
    chart = AccountMap({"tender:card": "Assets:Bank:Acquirer", "sales:VAT20": "Income:4000"})
    names = {p.key: p.account for p in postings_for_day(store, DAY, accounts=chart).postings}
    assert names["tender:card"] == "Assets:Bank:Acquirer"
    assert names["sales:VAT20"] == "Income:4000"
    assert names["tender:cash"] == "Assets:Cash"


def test_an_account_map_refuses_unknown_keys_and_invalid_names() -> None:
    with pytest.raises(ConfigurationError, match="unknown account key 'tender:cheque'"):
        AccountMap({"tender:cheque": "Assets:Cheques"})
    with pytest.raises(ConfigurationError, match="not valid"):
        AccountMap({"tender:cash": "cash drawer"})


def test_a_day_without_receipts_has_no_postings(shop: tuple[Store, dict[str, Any]]) -> None:
    store, _ = shop
    day = postings_for_day(store, DAY + timedelta(days=1))
    assert day.postings == () and day.sales == 0


def test_the_business_day_is_the_local_date_in_the_store_time_zone(
    open_store: OpenStore,
) -> None:
    # 23:30 UTC on the 26th is already the 27th in Kyiv (UTC+2 in November)
    clock = FixedClock(datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc))
    store = open_store(
        "sqlite://",
        catalog=shop_catalog(),
        settings=Settings(currency="UAH", timezone="Europe/Kyiv"),
        clock=clock,
    )
    sale = store.register("till-1").open_session(operator=CASHIER.id).new_sale()
    sale.add("BOOK")
    sale.pay("card")
    sale.complete()
    assert postings_for_day(store, DAY).sales == 1
    assert postings_for_day(store, DAY - timedelta(days=1)).sales == 0


def test_csv_rows_read_back_to_the_same_postings(shop: tuple[Store, dict[str, Any]]) -> None:
    store, _ = shop
    day = postings_for_day(store, DAY)
    rows = list(csv.DictReader(io.StringIO(to_csv([day]))))
    back = {(r["account"], r["key"]): Decimal(r["debit"]) - Decimal(r["credit"]) for r in rows}
    assert back == {(p.account, p.key): p.amount.amount for p in day.postings}
    assert {r["date"] for r in rows} == {"2026-11-27"}
    assert sum(Decimal(r["debit"]) for r in rows) == sum(Decimal(r["credit"]) for r in rows)


_POSTING = re.compile(r"^  (\S+)\s+(-?\d+(?:\.\d+)?) ([A-Z]{3})$")


def balance_check(text: str) -> list[Decimal]:
    """Our own bean-check: every account is opened before use and each transaction sums to
    zero. Returns each transaction's sum."""
    opened: set[str] = set()
    sums: list[Decimal] = []
    for line in text.splitlines():
        if " open " in line:
            opened.add(line.split()[2])
        elif re.match(r"^\d{4}-\d\d-\d\d \* ", line):
            sums.append(Decimal(0))
        elif line.startswith("  "):
            match = _POSTING.match(line)
            assert match, line
            assert match[1] in opened, f"{match[1]} used before it is opened"
            sums[-1] += Decimal(match[2])
    return sums


def test_the_beancount_ledger_balances_and_passes_bean_check(
    shop: tuple[Store, dict[str, Any]], tmp_path: Any
) -> None:
    store, _ = shop
    days = [postings_for_day(store, DAY), postings_for_day(store, DAY - timedelta(days=1))]
    text = to_beancount(days)
    assert balance_check(text) == [Decimal(0), Decimal(0)]
    assert "2026-11-27 open Assets:Cash UAH" in text
    bean_check = shutil.which("bean-check", path=str(Path(sys.executable).parent))
    if bean_check is None:
        pytest.skip("beancount is not installed: `pip install beancount` runs bean-check too")
    path = tmp_path / "books.beancount"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([bean_check, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ---- any day balances --------------------------------------------------------------

LINE = st.tuples(st.sampled_from(["COFFEE", "GUM", "BOOK"]), st.integers(1, 3))
SALE = st.fixed_dictionaries(
    {
        "lines": st.lists(LINE, min_size=1, max_size=3),
        "percent": st.sampled_from([None, 5, 10, 33]),
        "gift": st.sampled_from([None, "100.00", "250.50"]),
        "cash_part": st.sampled_from([None, "50", "1000"]),
        "kind": st.sampled_from(["card", "mobile", "cash"]),
        "give_back": st.lists(st.booleans(), max_size=3),
    }
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=st.lists(SALE, min_size=1, max_size=4))
def test_any_generated_day_balances_and_reconciles_with_its_receipts(
    sales: list[dict[str, Any]],
) -> None:
    store = Store.create(
        Settings(currency="UAH"),
        catalog=shop_catalog(),
        operators=[CASHIER, SUPERVISOR],
        clock=FixedClock(
            datetime(2026, 11, 27, 7, 0, tzinfo=timezone.utc), step=timedelta(seconds=1)
        ),
    )
    try:
        store.inventory.receive_stock([("COFFEE", 100, "101.37"), ("GUM", 100, "3.333")])
        session = store.register("till-1").open_session(operator=CASHIER.id)
        receipts = []
        for n, spec in enumerate(sales):
            sale = session.new_sale()
            for sku, qty in spec["lines"]:
                sale.add(sku, qty)
            if spec["percent"]:
                sale.discount_sale(percent=spec["percent"], approved_by=SUPERVISOR.id)
            if spec["gift"]:
                sale.add_gift_card("GIFT", luhn(f"6000000000000000{n:03d}"), spec["gift"])
            if spec["cash_part"] and spec["kind"] != "cash":
                sale.pay("cash", min(Money(spec["cash_part"], "UAH"), sale.cash_due))
            if not sale.is_paid:
                sale.pay(spec["kind"], sale.cash_due if spec["kind"] == "cash" else None)
            receipt = sale.complete()
            receipts.append(receipt)
            back = [
                p.line.line_no
                for p, keep in zip(receipt.lines, spec["give_back"], strict=False)
                if keep and p.line.kind is not ProductKind.GIFT_CARD
            ]
            if back:
                ret = session.new_return(receipt, approved_by=SUPERVISOR.id)
                for line_no in back:
                    ret.return_line(line_no)
                ret.refund()
                receipts.append(ret.complete())
        day = postings_for_day(store, DAY)  # raises if it does not balance
        assert sum((p.amount for p in day.postings), Money.zero("UAH")) == Money.zero("UAH")
        by_key: dict[str, Decimal] = {}
        for p in day.postings:
            by_key[p.key] = by_key.get(p.key, Decimal(0)) + p.amount.amount
        credited = -sum(
            (v for k, v in by_key.items() if k.split(":")[0] in ("sales", "tax", "gift_cards")),
            Decimal(0),
        )
        assert credited == sum((r.total.amount for r in receipts), Decimal(0))
        tendered = sum((v for k, v in by_key.items() if k.startswith("tender:")), Decimal(0))
        assert tendered == sum((r.paid.amount for r in receipts), Decimal(0))
        tax = -sum((v for k, v in by_key.items() if k.startswith("tax:")), Decimal(0))
        assert tax == sum((r.totals.tax.amount for r in receipts), Decimal(0))
        assert balance_check(to_beancount([day])) == [Decimal(0)]
    finally:
        store.close()


def test_day_postings_are_values(shop: tuple[Store, dict[str, Any]]) -> None:
    store, _ = shop
    assert isinstance(postings_for_day(store, DAY), DayPostings)


def test_what_happens_outside_the_receipts_is_posted_too(
    open_store: OpenStore, durable_url: str
) -> None:
    """Goodwill gift cards and their expiry, cash paid in and out, stock delivered,
    damaged and found by a count: each at its own account, the day still balanced."""
    store = open_store(durable_url, catalog=shop_catalog())
    store.inventory.receive_stock([("COFFEE", 10, "100.00")])
    store.inventory.receive_stock({"GUM": 5})  # no cost given: not posted, counted
    store.inventory.adjust("COFFEE", -2, reason="damage")
    count = store.inventory.start_count(skus=["COFFEE"])
    store.inventory.record_count(count, "COFFEE", 9)  # one more than the book's 8
    store.inventory.finish_count(count)
    now = store.clock.now()
    store.loyalty.gift_cards.issue("50.00", number=luhn("7" + "0" * 18), expires=timedelta(hours=1))
    store.loyalty.gift_cards.issue("20.00", number=luhn("7" + "0" * 17 + "1"))
    store.loyalty.gift_cards.expire(now + timedelta(hours=2))
    session = store.register("till-1").open_session(operator=CASHIER.id, opening_float="100")
    session.paid_in("300.00", reason="change from the bank", approved_by=SUPERVISOR.id)
    session.paid_out("45.50", reason="window cleaner", approved_by=SUPERVISOR.id)

    day = postings_for_day(store, DAY)
    got = {p.key: p.amount.amount for p in day.postings}
    assert got == {
        "inventory": Decimal("900.00"),  # +1000 - 200 damaged + 100 found
        "stock_received": Decimal("-1000.00"),
        "stock_adjustments": Decimal("100.00"),  # -200 + 100: a net loss, a debit
        "gift_cards_issued": Decimal("70.00"),
        "gift_cards_expired": Decimal("-50.00"),
        "gift_cards": Decimal("-20.00"),  # 70 issued, 50 lapsed
        "tender:cash": Decimal("254.50"),  # 300.00 in, 45.50 out (the float is no posting)
        "paid_in": Decimal("-300.00"),
        "paid_out": Decimal("45.50"),
    }
    assert day.entry.debits == day.entry.credits
    assert day.uncosted_stock_moves == 1
    accounts = {p.key: p.account for p in day.postings}
    assert accounts["stock_adjustments"] == "Expenses:StockAdjustments"
    assert accounts["gift_cards_expired"] == "Income:GiftCards:Expired"
