"""Promotions are kept in the store's database, so every till prices with the same ones."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from possdk import Money, Settings, Store, hookimpl
from possdk.core import Basket
from possdk.loyalty import (
    PercentOff,
    Promotion,
    PromotionContext,
    PromotionDataError,
)
from tests.conftest import CASHIER, SUPERVISOR, make_catalog

MILK_10 = Promotion("milk-10", "Milk -10%", PercentOff(10, skus={"MILK"}))
BREAD_20 = Promotion("bread-20", "Bread -20%", PercentOff(20, skus={"BREAD"}))


@attrs.frozen
class Never:
    """A custom condition with no registered name: no data form."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        return False


def open_store(url: str, *plugins: object) -> Store:
    return Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        plugins=plugins,
        load_entry_points=False,
    )


def milk_price(store: Store) -> Money:
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    sale.add("MILK")
    total = sale.total
    sale.void(reason="price check", approved_by="super")
    store.register("till-1").session.close(counted_cash="0")  # type: ignore[union-attr]
    return total


def test_a_till_opening_the_store_later_sells_with_the_same_promotions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with open_store(url) as office:
        office.loyalty.promotions.add_all([MILK_10, BREAD_20])
        office.loyalty.promotions.remove("bread-20")
    with open_store(url) as till:
        assert [p.id for p in till.loyalty.promotions.all()] == ["milk-10"]
        assert till.loyalty.promotions.get("milk-10") == MILK_10
        assert milk_price(till) == Money("37.71", "UAH")  # 41.90 - 4.19
        with till.backend.unit_of_work(write=False) as uow:
            types = [e.type for e in uow.journal_entries() if e.terminal_id == "@store"]
        assert types.count("PromotionsChanged") == 2
        assert till.verify_journal().ok


def test_refresh_picks_up_what_another_till_changed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with open_store(url) as till1, open_store(url) as till2:
        assert till2.loyalty.promotions.all() == ()
        till1.loyalty.promotions.add(MILK_10)
        assert till2.loyalty.promotions.all() == ()  # read once, until refreshed
        till2.loyalty.promotions.refresh()
        assert [p.id for p in till2.loyalty.promotions.all()] == ["milk-10"]
        till1.loyalty.promotions.clear()
        till2.loyalty.promotions.refresh()
        assert till2.loyalty.promotions.all() == ()


def test_a_promotion_without_a_data_form_is_refused_unless_kept_in_memory_only(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    odd = Promotion("odd", "Never", PercentOff(50), conditions=(Never(),))
    with open_store(url) as store:
        store.loyalty.promotions.add(MILK_10)
        with pytest.raises(PromotionDataError, match="no data form"):
            store.loyalty.promotions.add(odd)
        assert [p.id for p in store.loyalty.promotions.all()] == ["milk-10"]  # nothing changed
        store.loyalty.promotions.add(odd, keep=False)
        assert {p.id for p in store.loyalty.promotions.all()} == {"milk-10", "odd"}
        store.loyalty.promotions.add(BREAD_20)  # the in-memory one stays out of the database
        store.loyalty.promotions.refresh()  # and survives a refresh
        assert {p.id for p in store.loyalty.promotions.all()} == {"milk-10", "odd", "bread-20"}
    with open_store(url) as later:
        assert {p.id for p in later.loyalty.promotions.all()} == {"milk-10", "bread-20"}


def test_a_named_custom_condition_is_kept_and_read_back_through_the_plugin(
    tmp_path: Path,
) -> None:
    @attrs.frozen
    class Weekend:
        def matches(self, basket: Basket, context: PromotionContext) -> bool:
            return basket.at.weekday() >= 5

    class Conditions:
        @hookimpl
        def possdk_promotion_conditions(self) -> dict[str, type]:
            return {"weekend": Weekend}

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    promo = Promotion("wknd", "Weekend -5%", PercentOff(5), conditions=(Weekend(),))
    with open_store(url, Conditions()) as store:
        store.loyalty.promotions.add(promo)
    with open_store(url, Conditions()) as store:
        assert store.loyalty.promotions.get("wknd") == promo
    with pytest.raises(PromotionDataError, match="weekend"), open_store(url) as store:
        store.loyalty.promotions.all()  # the plugin that names it is missing
