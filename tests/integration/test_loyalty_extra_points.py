"""Extra points from promotions are earned with the sale and taken back with its lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from possdk import Money, Store
from possdk.loyalty import (
    CouponPresent,
    ExtraPoints,
    ItemsInCart,
    LoyaltyProgramme,
    PointsKind,
    Promotion,
)
from tests.conftest import make_store


@pytest.fixture
def shop() -> Store:
    store = make_store()
    store.loyalty.points.configure(
        LoyaltyProgramme(points_per_unit=1, spend_unit=Decimal(10), excluded_categories={"x"})
    )
    store.loyalty.promotions.add_all(
        [
            # 50 points for every coffee; 30 points once when milk is bought with a coupon.
            Promotion(
                "coffee-50", "50 points a coffee", ExtraPoints(50, per_unit=True, skus={"COFFEE"})
            ),
            Promotion(
                "milk-coupon",
                "30 points with the coupon",
                ExtraPoints(30),
                conditions=(ItemsInCart(skus={"MILK"}), CouponPresent("BONUS")),
            ),
        ]
    )
    store.loyalty.coupons.create("B-1", campaign="BONUS", max_uses=None)
    yield store
    store.close()


def earned(store: Store, customer_id: str) -> dict[int | None, int]:
    return {
        m.line_no: m.points
        for m in store.loyalty.points.movements(customer_id)
        if m.kind is PointsKind.EARN
    }


def test_extra_points_join_what_each_line_earns_and_leave_with_it(shop: Store) -> None:
    olha = shop.loyalty.customers.add("Olha", phone="0671234567")
    session = shop.register("till-1").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("COFFEE", 2)  # 378.00: 37 points + 2 x 50
    sale.add("MILK")  # 41.90, and the coupon's 30 points for the sale
    shop.loyalty.identify(sale, "0671234567")
    shop.loyalty.coupons.apply(sale, "b-1")
    sale.pay("cash", "500")
    receipt = sale.complete()
    # 419.90 / 10 = 41 points, split 378 : 41.90 -> 37 and 4; coffee +100 (its own); the
    # sale's 30 are spread the same way -> 27 and 3, so a return takes them back pro rata.
    assert earned(shop, olha.id) == {1: 164, 2: 7}
    assert shop.loyalty.points.balance(olha.id) == 171

    back = session.new_return(shop.receipt(receipt.number), approved_by="super")
    back.return_line(1, 1)  # one of the two coffees: half of the line's 164
    back.refund("cash")
    back.complete()
    assert shop.loyalty.points.balance(olha.id) == 171 - 82
    back = session.new_return(shop.receipt(receipt.number), approved_by="super")
    back.return_line(1, 1)
    back.return_line(2, 1)
    back.refund("cash")
    back.complete()
    assert shop.loyalty.points.balance(olha.id) == 0  # everything back: exactly all of it
    assert shop.loyalty.points.check().ok


def test_without_the_coupon_or_a_customer_no_extra_points(shop: Store) -> None:
    olha = shop.loyalty.customers.add("Olha", phone="0671234567")
    session = shop.register("till-1").open_session(operator="cashier")
    sale = session.new_sale()
    sale.add("MILK")
    shop.loyalty.identify(sale, "0671234567")
    sale.pay("cash", "50")
    sale.complete()
    assert earned(shop, olha.id) == {1: 4}  # no coupon: no 30
    anonymous = session.new_sale()
    anonymous.add("COFFEE")
    anonymous.pay("cash", "200")
    anonymous.complete()
    assert shop.loyalty.points.balance(olha.id) == 4


def test_points_owed_are_a_liability_at_the_point_value(shop: Store) -> None:
    assert shop.loyalty.points.outstanding() == Money("0.00", "UAH")
    olha = shop.loyalty.customers.add("Olha", phone="0671234567")
    ivan = shop.loyalty.customers.add("Ivan", phone="0501234567")
    shop.loyalty.points.adjust(olha.id, 1234, "welcome")
    shop.loyalty.points.adjust(ivan.id, 5, "welcome")
    # 1,239 points at the default 0.01 each: 12.39
    assert shop.loyalty.points.outstanding() == Money("12.39", "UAH")
    bare = make_store()
    assert bare.loyalty.points.outstanding() == Money("0.00", "UAH")  # no programme
    bare.close()
