"""The sale aggregate: lines, permissions, tenders, the state machine, returns, events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from possdk import MeasureKind, Money, SaleState, TenderKind, VariableMeasureLayout
from possdk.core import (
    ApprovalGranted,
    LineAdded,
    LineChanged,
    LineVoided,
    PaymentTaken,
    SaleCompleted,
    SaleStarted,
    SaleVoided,
)
from possdk.errors import (
    InvalidAmountError,
    InvalidBarcodeError,
    InvalidDiscountError,
    InvalidQuantityError,
    LineNotFoundError,
    PermissionDeniedError,
    ProductNotFoundError,
    ReturnError,
    SaleError,
    SaleStateError,
    TenderError,
)

WEIGHT = VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)
PRICE = VariableMeasureLayout.standard("22", MeasureKind.PRICE, 2)


def uah(v: str) -> Money:
    return Money(v, "UAH")


# ---- adding lines ----------------------------------------------------------------


def test_scan_add_and_weighed_items(session):
    sale = session.new_sale()
    coffee = sale.scan("4820000000017")
    assert (coffee.sku, coffee.quantity, coffee.barcode) == ("COFFEE", 1, "4820000000017")
    bananas = sale.scan(WEIGHT.encode("00123", "1.347").code)
    assert bananas.quantity == Decimal("1.347") and bananas.sku == "BANANA"
    cheese = sale.scan(PRICE.encode("00456", "187.33").code)
    assert cheese.unit_price == uah("187.33") and cheese.quantity == 1
    bread = sale.add("BREAD", 3)
    assert bread.line_no == 4
    # 189.00 + 1.347 * 67.90 (91.4613 -> 91.46) + 187.33 + 3 * 32.50
    assert sale.total == uah("565.29")


def test_bad_scans_are_clear_errors_and_add_nothing(session):
    sale = session.new_sale()
    with pytest.raises(InvalidBarcodeError, match="check digit"):
        sale.scan("4820000000018")
    with pytest.raises(InvalidBarcodeError):
        sale.scan("48200000ABC17")
    with pytest.raises(ProductNotFoundError):
        sale.scan("4006381333931")
    with pytest.raises(InvalidBarcodeError, match="layout"):
        sale.scan(
            VariableMeasureLayout.standard("23", MeasureKind.WEIGHT, 3).encode("00123", "1").code
        )
    assert sale.lines == () and sale.total == uah("0")


@pytest.mark.parametrize(
    ("sku", "qty", "message"),
    [
        ("COFFEE", "0", "positive"),
        ("COFFEE", "-2", "positive"),
        ("COFFEE", "1.5", "whole units"),
        ("BANANA", "0.0001", "3 decimals"),
        ("COFFEE", "1e9", "implausibly"),
    ],
)
def test_bad_quantities(session, sku, qty, message):
    sale = session.new_sale()
    with pytest.raises(InvalidQuantityError, match=message):
        sale.add(sku, qty)
    assert sale.lines == ()


def test_float_quantity_is_refused(session):
    with pytest.raises(InvalidAmountError, match="float"):
        session.new_sale().add("BANANA", 0.5)


def test_set_quantity_up_is_free_down_needs_void_permission(session):
    sale = session.new_sale()
    sale.add("BREAD")
    sale.set_quantity(1, 3)
    assert sale.total == uah("97.50")
    with pytest.raises(PermissionDeniedError):
        sale.set_quantity(1, 2)
    sale.set_quantity(1, 2, approved_by="super")
    assert sale.total == uah("65.00")
    assert sale.approvals[-1].approved_by == "super"


def test_void_line_needs_permission_and_keeps_the_line_on_record(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.add("BREAD")
    with pytest.raises(PermissionDeniedError, match="void line"):
        sale.void_line(1)
    voided = sale.void_line(1, approved_by="super")
    assert voided.voided and voided.void_approval.approved_by == "super"
    assert sale.total == uah("32.50")
    assert len(sale.lines) == 2 and len(sale.active_lines) == 1
    with pytest.raises(LineNotFoundError):
        sale.void_line(1, approved_by="super")
    with pytest.raises(LineNotFoundError):
        sale.annotate(7, "x")


def test_price_override_needs_permission_and_keeps_the_list_price(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    with pytest.raises(PermissionDeniedError):
        sale.override_price(1, "150.00")
    line = sale.override_price(1, "150.00", approved_by="super")
    assert line.unit_price == uah("150.00") and line.list_price == uah("189.00")
    assert line.price_approval.operator == "cashier"
    with pytest.raises(InvalidDiscountError):
        sale.override_price(1, "-1", approved_by="super")


def test_discount_within_the_role_limit_needs_no_approval(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.discount_line(1, percent="5")  # the cashier's limit
    assert sale.total == uah("179.55")
    with pytest.raises(PermissionDeniedError, match="give discount"):
        sale.discount_line(1, percent="5.01")
    with pytest.raises(PermissionDeniedError):  # an amount is judged as a percentage too
        sale.discount_line(1, amount="20.00")
    sale.discount_line(1, amount="20.00", approved_by="super", reason="dented")
    assert sale.total == uah("169.00")
    assert sale.active_lines[0].discount.approval.approved_by == "super"


def test_approver_without_the_permission_is_refused(session, store):
    from possdk import Operator, Role

    store.add_operator(Operator("trainee", "Ivan", Role.cashier()))
    sale = session.new_sale()
    sale.add("COFFEE")
    with pytest.raises(PermissionDeniedError, match="may not approve"):
        sale.void_line(1, approved_by="trainee")


def test_bad_discounts(session):
    sale = session.new_sale()
    sale.add("BREAD")
    with pytest.raises(InvalidDiscountError):
        sale.discount_line(1, percent="101", approved_by="super")
    with pytest.raises(InvalidDiscountError):
        sale.discount_line(1, percent="-1")
    with pytest.raises(InvalidDiscountError, match="more than"):
        sale.discount_line(1, amount="40.00", approved_by="super")
    with pytest.raises(InvalidDiscountError, match="either"):
        sale.discount_line(1, percent="1", amount="1")
    with pytest.raises(InvalidDiscountError, match="minor unit"):
        sale.discount_line(1, amount="1.001", approved_by="super")


def test_sale_discount_is_allocated_so_lines_add_up(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.add("BREAD")
    sale.add("MILK")
    sale.discount_sale(amount="10.00", approved_by="super")
    totals = sale.totals
    assert totals.discount == uah("10.00")
    assert sum(p.manual_discount for p in totals.lines) == Decimal("10.00")
    assert totals.total == uah("253.40")


# ---- tenders and completion --------------------------------------------------------


def test_cash_rounding_change_and_the_rounding_amount(session):
    sale = session.new_sale()
    sale.add("GUM", 3)  # 24.03
    tender = sale.pay(TenderKind.CASH, "50")
    assert tender.amount == uah("24.00") and tender.rounding == uah("-0.03")
    assert tender.change == uah("26.00")
    receipt = sale.complete()
    assert receipt.total + receipt.cash_rounding == receipt.paid == uah("24.00")


def test_card_is_never_rounded_and_gives_no_change(session):
    sale = session.new_sale()
    sale.add("GUM", 3)
    with pytest.raises(TenderError, match="change"):
        sale.pay(TenderKind.CARD, "30")
    tender = sale.pay(TenderKind.CARD)
    assert tender.amount == uah("24.03") and tender.rounding == uah("0")


def test_split_tender_rounds_only_the_cash_part(session):
    sale = session.new_sale()
    sale.add("GUM", 3)
    sale.pay("card", "10.00")
    sale.pay("cash")  # the rest, 14.03 -> 14.00 in cash
    assert sale.is_paid and sale.cash_rounding == uah("-0.03")
    receipt = sale.complete()
    assert receipt.paid_by(TenderKind.CARD) == uah("10.00")
    assert receipt.paid_by(TenderKind.CASH) == uah("14.00")


def test_cannot_complete_unpaid_and_lines_lock_while_tendering(session):
    sale = session.new_sale()
    with pytest.raises(SaleStateError, match="no lines"):
        sale.pay("cash", "10")
    sale.add("COFFEE")
    with pytest.raises(SaleStateError, match="still due"):
        sale.complete()
    sale.pay("cash", "100")
    assert sale.state is SaleState.TENDERING
    with pytest.raises(SaleStateError, match="remove the tenders"):
        sale.add("BREAD")
    sale.remove_tender(1)
    assert sale.state is SaleState.OPEN
    sale.add("BREAD")
    sale.pay("card")
    receipt = sale.complete()
    assert receipt.total == uah("221.50")
    with pytest.raises(SaleStateError, match="completed"):
        sale.add("MILK")
    with pytest.raises(SaleStateError):
        sale.void(approved_by="super")


def test_tender_in_another_currency_is_refused(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    with pytest.raises(TenderError, match="EUR"):
        sale.pay("cash", Money("200", "EUR"))


def test_suspend_and_resume_on_another_session(store, session):
    sale = session.new_sale()
    sale.add("COFFEE")
    session.suspend(sale)
    assert sale.state is SaleState.SUSPENDED
    assert [s.sale_id for s in store.suspended_sales()] == [sale.id]
    with pytest.raises(SaleStateError):
        sale.add("BREAD")
    other = store.register("till-2").open_session(operator="super", opening_float="0")
    resumed = other.resume(sale.id)
    assert resumed.id == sale.id and resumed.lines == sale.lines
    assert resumed.session_id == other.id and store.suspended_sales() == ()
    with pytest.raises(SaleError, match="resumed already"):  # nobody can resume it twice
        session.resume(sale.id)
    resumed.pay("cash", "200")
    receipt = resumed.complete()
    assert receipt.register_id == "till-2" and receipt.number.startswith("till-2/")
    assert other.x_report().sale_count == 1 and session.x_report().sale_count == 0


def test_void_needs_permission_and_is_counted(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    with pytest.raises(PermissionDeniedError):
        sale.void()
    sale.void(reason="changed mind", approved_by="super")
    assert sale.state is SaleState.VOIDED
    x = session.x_report()
    assert x.void_count == 1 and x.voided_total == uah("189.00") and x.sale_count == 0


def test_events_tell_the_story(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.void_line(1, approved_by="super")
    sale.add("BREAD")
    sale.annotate(2, "sliced")
    sale.pay("cash", "50")
    sale.complete()
    kinds = [type(e) for e in sale.events]
    assert kinds == [
        SaleStarted,
        LineAdded,
        ApprovalGranted,
        LineVoided,
        LineAdded,
        LineChanged,
        PaymentTaken,
        SaleCompleted,
    ]
    ids = [e.event_id for e in sale.events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # UUIDv7: time-ordered
    assert all(e.event_id.version == 7 for e in sale.events)
    times = [e.occurred_at for e in sale.events]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)


def test_voided_event_lists_tenders_to_give_back(session):
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.pay("cash", "100")
    sale.void(approved_by="super")
    event = sale.events[-1]
    assert isinstance(event, SaleVoided)
    assert [t.amount for t in event.tenders] == [uah("100")]


# ---- returns -------------------------------------------------------------------------


def _sold(session, *adds, discount=None):  # type: ignore[no-untyped-def]
    sale = session.new_sale()
    for sku, qty in adds:
        sale.add(sku, qty)
    if discount:
        sale.discount_sale(percent=discount, approved_by="super")
    sale.pay("card")
    return sale.complete()


def test_return_refunds_exactly_what_was_paid_over_several_returns(session):
    receipt = _sold(session, ("GUM", 3), ("COFFEE", 1), discount="10")
    gum = receipt.totals.line(1)
    refunds = []
    for _ in range(3):
        ret = session.new_return(receipt, approved_by="super")
        ret.return_line(1, 1)
        ret.refund("card")
        refunds.append(ret.complete())
    refunded = sum(-r.total.amount for r in refunds)
    assert refunded == gum.gross  # 3 partial returns add up exactly
    taxes = sum(-r.totals.tax.amount for r in refunds)
    assert taxes == gum.tax
    ret = session.new_return(receipt, approved_by="super")
    with pytest.raises(ReturnError, match="at most 0"):
        ret.return_line(1, 1)


def test_return_more_than_sold_is_refused(session):
    receipt = _sold(session, ("BREAD", 2))
    ret = session.new_return(receipt, approved_by="super")
    with pytest.raises(ReturnError, match="at most 2"):
        ret.return_line(1, 3)
    ret.return_line(1, 1)
    with pytest.raises(ReturnError, match="at most 1"):  # counts this return's own lines
        ret.return_line(1, 2)
    with pytest.raises(ReturnError, match="no line 9"):
        ret.return_line(9)


def test_return_needs_permission_and_cash_refund_rounds(session):
    receipt = _sold(session, ("GUM", 3))  # 24.03 by card
    with pytest.raises(PermissionDeniedError, match="refund"):
        session.new_return(receipt)
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    (tender,) = ret.refund("cash")
    assert tender.amount == uah("-24.00") and tender.rounding == uah("0.03")
    done = ret.complete()
    assert done.is_return and done.return_of == receipt.sale_id
    x = session.x_report()
    assert x.returns == uah("24.03") and x.cash_refunds == uah("24.00")
    assert x.net_sales == uah("0.00")


def test_return_without_receipt_is_a_separate_permission(session):
    from possdk.core import Action

    with pytest.raises(PermissionDeniedError) as info:
        session.new_return()
    assert info.value.action is Action.REFUND_WITHOUT_RECEIPT
    ret = session.new_return(approved_by="super")
    line = ret.add("BREAD", 2)
    assert line.quantity == -2 and ret.total == uah("-65.00")
    with pytest.raises(InvalidDiscountError):
        ret.discount_line(1, percent="5")
    ret.refund("cash")
    assert ret.complete().total == uah("-65.00")


def test_a_return_cannot_be_returned(session):
    receipt = _sold(session, ("BREAD", 1))
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    ret.refund("card")
    back = ret.complete()
    with pytest.raises(ReturnError, match="itself a return"):
        session.new_return(back, approved_by="super")


def test_receipt_text_shows_the_sale(session):
    sale = session.new_sale()
    sale.add("COFFEE", 2)
    sale.discount_line(1, percent="5", reason="loyal")
    sale.pay("cash", "400")
    receipt = sale.complete()
    text = receipt.as_text(width=32, locale="en_US")
    assert all(len(row) <= 32 for row in text.splitlines())
    assert "TOTAL" in text and "359.10" in text and "Discount 5% (loyal)" in text
    uk = receipt.as_text(width=48, locale="uk_UA")
    assert "СУМА" in uk and "359,10" in uk and "Решта" in uk
    assert "*** COPY ***" in receipt.as_copy().as_text(locale="en_US")


def test_an_all_free_sale_completes_without_a_tender(session):
    sale = session.new_sale()
    sale.add("BREAD")
    sale.discount_line(1, percent="100", approved_by="super")
    assert sale.total == uah("0.00") and sale.is_paid
    receipt = sale.complete()
    assert receipt.tenders == () and receipt.total == uah("0.00")


def test_unknown_tender_kind_is_a_tender_error(session):
    sale = session.new_sale()
    sale.add("BREAD")
    with pytest.raises(TenderError, match="unknown tender kind 'cheque'"):
        sale.pay("cheque")
    assert sale.tenders == ()


def test_sale_suspend_alone_parks_it_for_any_session(store, session):
    sale = session.new_sale()
    sale.add("BREAD")
    sale.suspend()
    assert [s.sale_id for s in store.suspended_sales()] == [sale.id]
    assert session.open_sales == ()
    other = store.register("till-2").open_session(operator="super", opening_float="0")
    assert other.resume(sale.id).operator.id == "super"  # carried on by who resumed it


def test_set_quantity_and_returns_honour_the_products_quantity_decimals(store, session):
    from possdk import Product, Unit

    store.catalog.add(
        Product("LINEN", "Linen", uah("120.00"), "standard", unit=Unit.METRE, quantity_decimals=1)
    )
    sale = session.new_sale()
    sale.add("LINEN", "1.5")
    with pytest.raises(InvalidQuantityError, match="1 decimals"):
        sale.set_quantity(1, "1.25")
    sale.set_quantity(1, "2.5")
    sale.pay("card")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    with pytest.raises(InvalidQuantityError):
        ret.return_line(1, "0.25")
    assert ret.return_line(1, "0.5").quantity == Decimal("-0.5")


def test_replacing_a_sale_discount_is_judged_against_the_undiscounted_sale(session):
    sale = session.new_sale()
    sale.add("COFFEE")  # 189.00; the cashier may give 5 % = 9.45
    sale.discount_sale(percent="5")
    sale.discount_sale(amount="9.45")  # replaces the 5 %, so it is 5 % of 189.00 again
    assert sale.total == uah("179.55") and len(sale.sale_discounts) == 1


@pytest.mark.parametrize(
    "amount", [Money("-5.00", "UAH"), Money("1.00", "EUR"), Money("0.333", "UAH")]
)
def test_a_promotion_plugin_giving_a_bad_amount_is_a_plugin_error(amount):
    from possdk import hookimpl
    from possdk.core import PromotionDiscount
    from possdk.errors import PluginError
    from tests.conftest import make_store

    class Bad:
        @hookimpl
        def possdk_pricing_promotions(self, basket):  # type: ignore[no-untyped-def]
            return [PromotionDiscount("bad", "bad", amount, 1)]

    session = make_store(plugins=(Bad(),)).register("t").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("BREAD")  # totals are priced lazily, when asked for
    with pytest.raises(PluginError, match="'bad'"):
        _ = sale.total


def test_an_event_id_carries_the_events_own_time(session):
    sale = session.new_sale()
    sale.add("BREAD")
    for event in sale.events:
        millis = event.event_id.int >> 80
        assert millis == int(event.occurred_at.timestamp() * 1000)


def test_inactive_product_and_foreign_price_are_clear_errors(store, session):
    import attrs

    from possdk.errors import CatalogError, CurrencyMismatchError

    store.catalog.replace(attrs.evolve(store.catalog.get("MILK"), active=False))
    sale = session.new_sale()
    with pytest.raises(CatalogError, match="inactive"):
        sale.add("MILK")
    with pytest.raises(CurrencyMismatchError):
        sale.add_product(store.catalog.get("BREAD"), unit_price=Money("1", "EUR"))
