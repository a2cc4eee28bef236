"""The plugin manager and how the Store calls hooks."""

from __future__ import annotations

import logging

import pytest

from possdk import Money, SaleState, get_plugin_manager, hookimpl
from possdk.core import PromotionDiscount
from possdk.errors import PluginError
from possdk.plugins import BUILTIN_PLUGINS
from tests.conftest import make_store


def test_builtins_register_like_third_party_plugins():
    pm = get_plugin_manager(load_entry_points=False)
    names = {name for name, _ in pm.list_name_plugin()}
    assert set(BUILTIN_PLUGINS) <= names
    # the built-in cash rounding plugin answers through the hook
    assert pm.hook.possdk_cash_rounding(currency="UAH").increment == Money("0.10", "UAH").amount
    assert pm.hook.possdk_cash_rounding(currency="EUR") is None


def test_a_plugin_can_override_the_builtin_cash_rounding():
    from possdk import CashRounding

    class Euro:
        @hookimpl
        def possdk_cash_rounding(self, currency):  # type: ignore[no-untyped-def]
            return CashRounding("0.05") if currency == "EUR" else None

    store = make_store(plugins=(Euro(),), currency="EUR")
    assert store.cash_rounding.for_currency("EUR") == CashRounding("0.05")


def test_a_misspelt_hook_is_a_clear_error():
    class Typo:
        @hookimpl
        def possdk_sale_complete(self, receipt):  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(PluginError, match="does not have"):
        get_plugin_manager(load_entry_points=False, plugins=[Typo()])


def test_registering_the_same_plugin_twice_is_a_plugin_error():
    plugin = object()
    with pytest.raises(PluginError):
        get_plugin_manager(load_entry_points=False, plugins=[plugin, plugin])


def test_failing_observer_is_logged_and_the_sale_still_completes(caplog):
    class Broken:
        @hookimpl
        def possdk_sale_completed(self, receipt):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    store = make_store(plugins=(Broken(),))
    session = store.register("t").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("BREAD")
    sale.pay("card")
    with caplog.at_level(logging.ERROR, logger="possdk"):
        receipt = sale.complete()
    assert sale.state is SaleState.COMPLETED and store.receipt(receipt.number) == receipt
    assert "possdk_sale_completed" in caplog.text and "boom" in caplog.text


def test_failing_receipt_plugin_refuses_completion_and_loses_nothing():
    class FiscalDown:
        @hookimpl
        def possdk_receipt_extra_lines(self, receipt):  # type: ignore[no-untyped-def]
            raise ConnectionError("fiscal server unreachable")

    store = make_store(plugins=(FiscalDown(),))
    session = store.register("t").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("BREAD")
    sale.pay("card")
    with pytest.raises(PluginError, match="fiscal server unreachable"):
        sale.complete()
    assert sale.state is SaleState.TENDERING and store.receipts() == ()
    assert session.x_report().sale_count == 0
    store.plugins.unregister(
        name=next(n for n, p in store.plugins.list_name_plugin() if isinstance(p, FiscalDown))
    )
    assert sale.complete().number == "t/000001"


def test_promotions_from_several_plugins_all_apply_and_are_explained():
    class Two:
        @hookimpl
        def possdk_pricing_promotions(self, basket):  # type: ignore[no-untyped-def]
            return [PromotionDiscount("sale5", "5 off the sale", Money("5.00", "UAH"))]

    class One:
        @hookimpl
        def possdk_pricing_promotions(self, basket):  # type: ignore[no-untyped-def]
            return [
                PromotionDiscount("bread", "bread -2", Money("2.00", "UAH"), ln.line_no)
                for ln in basket.lines
                if ln.sku == "BREAD"
            ]

    store = make_store(plugins=(One(), Two()))
    session = store.register("t").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("BREAD")
    sale.add("MILK")
    assert sale.total == Money("67.40", "UAH")  # 32.50 + 41.90 - 2 - 5
    assert {p.promotion_id for p in sale.totals.promotions} == {"sale5", "bread"}
    sale.pay("cash", "100")
    text = sale.complete().as_text(locale="en_US")
    assert "5 off the sale" in text and "bread -2" in text
