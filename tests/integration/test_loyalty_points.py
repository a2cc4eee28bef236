"""The points programme through the store: earning, burning as a tender, returns that
reverse exactly, expiry, tiers, adjustments, the ledger check and bad input.

Everything that writes points runs on memory, a SQLite file and PostgreSQL.
Expected points are worked out by hand from the documented rules (one point per
10.00 paid, rounded down once per sale, spread over lines by weight).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from possdk import Catalog, Money, Product, RegisterSession, Store
from possdk.core import ProductKind, Receipt, TaxCategory, TaxRate
from possdk.errors import TenderError
from possdk.loyalty._loyalty_model import (
    Customer,
    CustomerNotFoundError,
    InsufficientPointsError,
    LoyaltyError,
    LoyaltyProgramme,
    PointsKind,
    RedemptionError,
    Tier,
    expiring_points,
    split_points,
)
from tests.conftest import START
from tests.integration.conftest import OpenStore

PROGRAMME = LoyaltyProgramme(
    points_per_unit=1,
    spend_unit=Decimal("10"),
    category_multipliers={"coffee": Decimal("2")},
    excluded_categories={"tobacco"},
    point_value=Decimal("0.10"),
    min_redemption=10,
)


def shop_catalog() -> Catalog:
    u = lambda v: Money(v, "UAH")  # noqa: E731
    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20", name="VAT")])],
        [
            Product("COFFEE", "Coffee", u("189.00"), "standard", category="coffee"),
            Product("BREAD", "Bread", u("32.50"), "standard", category="bakery"),
            Product("MILK", "Milk", u("41.90"), "standard", category="dairy"),
            Product("CIGS", "Cigarettes", u("95.00"), "standard", category="tobacco"),
            Product("GIFT", "Gift card", u("0.00"), "standard", kind=ProductKind.GIFT_CARD),
        ],
    )


def shop(open_store: OpenStore, url: str, programme: LoyaltyProgramme = PROGRAMME) -> Store:
    store = open_store(url, catalog=shop_catalog())
    store.loyalty.points.configure(programme)
    return store


def till(store: Store) -> RegisterSession:
    return store.register("till-1").open_session(operator="cashier", opening_float="500.00")


def sell(
    store: Store,
    session: RegisterSession,
    customer: Customer | None,
    *lines: tuple[str, int],
    points: str | None = None,
) -> Receipt:
    sale = session.new_sale()
    for sku, qty in lines:
        sale.add(sku, qty)
    if customer is not None:
        store.loyalty.identify(sale, customer.phone or "")
    if points is not None:
        sale.pay("points", points)
    if sale.balance_due.amount > 0:
        sale.pay("cash", "5000")
    return sale.complete()


def give_back(
    session: RegisterSession, receipt: Receipt, *lines: tuple[int, int | None]
) -> Receipt:
    ret = session.new_return(receipt, approved_by="super")
    for line_no, qty in lines:
        ret.return_line(line_no, qty)
    ret.refund()
    return ret.complete()


def earned_by_line(store: Store, receipt: Receipt) -> dict[int | None, int]:
    return {
        m.line_no: m.points
        for m in store.loyalty.points.movements(sale_id=receipt.sale_id)
        if m.kind is PointsKind.EARN
    }


def balance(store: Store, customer: Customer) -> int:
    return store.loyalty.points.balance(customer.id)


@pytest.fixture
def olha_store(store_url: str, open_store: OpenStore) -> tuple[Store, Customer]:
    store = shop(open_store, store_url)
    return store, store.loyalty.customers.add("Olha", phone="0671234567")


# ---- pure rules ------------------------------------------------------------------------


def test_split_points_parts_sum_to_the_total_by_largest_remainder() -> None:
    assert split_points(10, [Decimal(1), Decimal(1), Decimal(1)]) == [4, 3, 3]
    assert split_points(7, [Decimal(0), Decimal(2), Decimal(5)]) == [0, 2, 5]
    assert split_points(0, [Decimal(3)]) == [0]


def test_programme_converts_money_to_whole_points_only() -> None:
    assert PROGRAMME.points_for(Decimal("2.50")) == 25
    with pytest.raises(RedemptionError, match=r"take 2.50 \(or another amount in steps of 0.10\)"):
        PROGRAMME.points_for(Decimal("2.55"))
    with pytest.raises(LoyaltyError, match="spend_unit"):
        LoyaltyProgramme(spend_unit=Decimal(0))


# ---- earning ------------------------------------------------------------------------------


def test_earning_rounds_down_once_per_sale_with_multipliers_and_exclusions(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    session = till(store)
    # COFFEE 189.00 x2 (category coffee) = 37.8 -> weight 378; BREAD 32.50 -> 3.25;
    # CIGS (tobacco) excluded. 37.8 + 3.25 = 41.05 -> 41 points: 378/410.5 of 41 = 37.75 -> 38
    # by largest remainder, BREAD 3.25 -> 3.
    receipt = sell(store, session, olha, ("COFFEE", 1), ("BREAD", 1), ("CIGS", 1))
    assert earned_by_line(store, receipt) == {1: 38, 2: 3}
    assert balance(store, olha) == 41
    assert store.loyalty.points.check().ok


def test_a_sale_without_customer_or_of_gift_cards_earns_nothing(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    session = till(store)
    sell(store, session, None, ("COFFEE", 3))
    sale = session.new_sale()
    sale.add_gift_card("GIFT", "79927398713", "500.00")
    store.loyalty.identify(sale, "0671234567")
    sale.pay("cash", "500")
    sale.complete()
    assert store.loyalty.points.movements(olha.id) == ()
    assert balance(store, olha) == 0


def test_a_tier_multiplies_earning(store_url: str, open_store: OpenStore) -> None:
    programme = LoyaltyProgramme(tiers=[Tier("gold", 30, "1.5")])
    store = shop(open_store, store_url, programme)
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    session = till(store)
    sell(store, session, olha, ("BREAD", 10))  # 325.00 -> 32 points, no tier yet
    assert balance(store, olha) == 32
    assert store.loyalty.points.tier_of(olha.id) == programme.tiers[0]
    receipt = sell(store, session, olha, ("BREAD", 1))  # 3.25 x 1.5 = 4.875 -> 4
    assert receipt.customer_tier == "gold"
    assert balance(store, olha) == 36
    assert store.loyalty.customers.get(olha.id).tier == "gold"


def test_points_paid_part_earns_nothing_by_default(olha_store: tuple[Store, Customer]) -> None:
    store, olha = olha_store
    store.loyalty.points.adjust(olha.id, 500, "welcome")
    session = till(store)
    receipt = sell(store, session, olha, ("BREAD", 4), points="30.00")  # 130.00, 30 in points
    # 13.0 points x 100/130 = 10
    assert earned_by_line(store, receipt) == {1: 10}
    assert balance(store, olha) == 500 - 300 + 10
    # The receipt says so, after the burn: what this sale earned and what is left.
    assert (receipt.points_earned, receipt.points_balance) == (10, 210)
    assert store.receipts()[-1] == receipt  # kept as printed
    text = receipt.as_text(width=32, locale="en_US")
    assert "Points earned" in text and text.rstrip().endswith("Points balance               210")
    assert "Баланс балів" in receipt.as_text(locale="uk_UA")


def test_only_a_sale_with_a_customer_under_a_programme_prints_points(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    session = till(store)
    anonymous = sell(store, session, None, ("BREAD", 1))
    assert (anonymous.points_earned, anonymous.points_balance) == (None, None)
    assert "Points" not in anonymous.as_text()
    sold = sell(store, session, olha, ("BREAD", 1))
    assert sold.points_earned is not None and sold.points_balance == sold.points_earned
    back = give_back(session, sold, (1, None))
    assert back.points_earned is None  # a return takes them back; its receipt says nothing


# ---- burning ------------------------------------------------------------------------------


def test_burning_points_as_a_tender_and_its_limits(olha_store: tuple[Store, Customer]) -> None:
    store, olha = olha_store
    store.loyalty.points.adjust(olha.id, 100, "welcome")
    session = till(store)
    sale = session.new_sale()
    sale.add("BREAD", 2)
    with pytest.raises(RedemptionError, match="identify them"):
        sale.pay("points", "5.00")
    store.loyalty.identify(sale, "0671234567")
    with pytest.raises(RedemptionError, match="below the least"):
        sale.pay("points", "0.90")  # 9 points < 10
    with pytest.raises(RedemptionError, match="whole number of points"):
        sale.pay("points", "1.05")
    with pytest.raises(InsufficientPointsError, match="has 100 points, not the 110"):
        sale.pay("points", "11.00")
    tender = sale.pay("points", "10.00")
    assert tender.reference == olha.id
    assert balance(store, olha) == 100  # nothing moves before the sale completes
    sale.pay("cash", "100")
    sale.complete()
    burns = [m for m in store.loyalty.points.movements(olha.id) if m.kind is PointsKind.BURN]
    assert [m.points for m in burns] == [-100]
    assert balance(store, olha) == 0 + 5  # 65.00 - 10.00 paid in points -> 5.5 -> 5


def test_points_spent_at_another_till_meanwhile_refuse_the_sale(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    store.loyalty.points.adjust(olha.id, 100, "welcome")
    session = till(store)
    sale = session.new_sale()
    sale.add("BREAD", 2)
    store.loyalty.identify(sale, "0671234567")
    sale.pay("points", "10.00")
    sale.pay("cash", "100")
    store.loyalty.points.adjust(olha.id, -50, "spent elsewhere")
    with pytest.raises(InsufficientPointsError):
        sale.complete()
    assert balance(store, olha) == 50
    assert store.loyalty.points.check().ok


def test_void_of_a_points_sale_moves_no_points(olha_store: tuple[Store, Customer]) -> None:
    store, olha = olha_store
    store.loyalty.points.adjust(olha.id, 100, "welcome")
    sale = till(store).new_sale()
    sale.add("BREAD")
    store.loyalty.identify(sale, "0671234567")
    sale.pay("points", "2.00")
    sale.void(approved_by="super")
    assert balance(store, olha) == 100


# ---- returns ------------------------------------------------------------------------------


def test_partial_returns_reverse_exactly_what_was_earned_and_no_more(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    session = till(store)
    receipt = sell(store, session, olha, ("MILK", 3))  # 125.70 -> 12 points
    assert balance(store, olha) == 12
    taken = []
    for _ in range(3):
        before = balance(store, olha)
        give_back(session, receipt, (1, 1))
        taken.append(before - balance(store, olha))
    # cumulative floor(12 * k / 3): 4, 8, 12
    assert taken == [4, 4, 4]
    assert balance(store, olha) == 0
    assert store.loyalty.points.check().ok


def test_a_return_gives_back_burnt_points_once_and_takes_earned_ones_once(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    store.loyalty.points.adjust(olha.id, 300, "welcome")
    session = till(store)
    receipt = sell(store, session, olha, ("COFFEE", 1), ("BREAD", 2), points="20.00")
    earned = sum(earned_by_line(store, receipt).values())
    assert balance(store, olha) == 300 - 200 + earned
    give_back(session, receipt, (1, None))
    give_back(session, receipt, (2, None))
    kinds = [(m.kind, m.points) for m in store.loyalty.points.movements(olha.id)]
    assert sum(p for k, p in kinds if k is PointsKind.RETURN_BURN) == 200
    assert sum(p for k, p in kinds if k is PointsKind.RETURN_EARN) == -earned
    assert balance(store, olha) == 300
    assert store.loyalty.points.check().ok


def test_reversal_never_takes_the_balance_below_zero_unless_allowed(
    store_url: str, open_store: OpenStore
) -> None:
    store = shop(open_store, store_url)
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    session = till(store)
    receipt = sell(store, session, olha, ("COFFEE", 1))  # 189 x2 /10 -> 37
    store.loyalty.points.adjust(olha.id, -30, "spent on a prize")
    give_back(session, receipt, (1, None))
    assert balance(store, olha) == 0
    [reversal] = [
        m for m in store.loyalty.points.movements(olha.id) if m.kind is PointsKind.RETURN_EARN
    ]
    assert (reversal.points, reversal.waived) == (-7, 30)
    assert store.loyalty.points.check().ok

    store.loyalty.points.configure(attrs_evolve(PROGRAMME, allow_negative=True))
    receipt = sell(store, session, olha, ("COFFEE", 1))
    store.loyalty.points.adjust(olha.id, -30, "spent on a prize")
    give_back(session, receipt, (1, None))
    assert balance(store, olha) == -30


def attrs_evolve(programme: LoyaltyProgramme, **changes: object) -> LoyaltyProgramme:
    import attrs

    return attrs.evolve(programme, **changes)


# ---- expiry and adjustments --------------------------------------------------------------------


def test_expiry_is_fifo_and_idempotent(store_url: str, open_store: OpenStore) -> None:
    store = shop(open_store, store_url, attrs_evolve(PROGRAMME, expiry_months=6))
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    store.loyalty.points.adjust(olha.id, 100, "old lot")
    store.clock.advance(timedelta(days=100))  # type: ignore[attr-defined]
    store.loyalty.points.adjust(olha.id, 50, "new lot")
    store.loyalty.points.adjust(olha.id, -30, "spent")  # from the old lot first
    assert store.loyalty.points.expire(START + timedelta(days=150)) == ()
    [expired] = store.loyalty.points.expire(START + timedelta(days=190))
    assert expired.points == -70
    assert store.loyalty.points.expire(START + timedelta(days=190)) == ()
    assert balance(store, olha) == 50
    [later] = store.loyalty.points.expire(START + timedelta(days=300))
    assert later.points == -50
    assert balance(store, olha) == 0
    assert store.loyalty.points.check().ok


def test_expiring_points_pays_a_debt_from_new_lots_first() -> None:
    import uuid

    from possdk.loyalty._loyalty_model import PointsMovement

    def m(days: int, points: int) -> PointsMovement:
        return PointsMovement(
            uuid.UUID(int=days), "c", START + timedelta(days=days), PointsKind.ADJUST, points
        )

    moves = [m(0, -20), m(1, 50)]
    assert expiring_points(moves, 1, START + timedelta(days=40)) == 30


def test_bad_adjustments_and_unknown_customers(olha_store: tuple[Store, Customer]) -> None:
    store, olha = olha_store
    with pytest.raises(LoyaltyError, match="not zero"):
        store.loyalty.points.adjust(olha.id, 0, "nothing")
    with pytest.raises(LoyaltyError, match="whole number"):
        store.loyalty.points.adjust(olha.id, 1.5, "half")  # type: ignore[arg-type]
    with pytest.raises(LoyaltyError, match="reason"):
        store.loyalty.points.adjust(olha.id, 5, " ")
    with pytest.raises(InsufficientPointsError):
        store.loyalty.points.adjust(olha.id, -1, "negative points")
    with pytest.raises(CustomerNotFoundError):
        store.loyalty.points.adjust("nobody", 5, "who?")
    assert balance(store, olha) == 0
    assert store.loyalty.points.movements(olha.id) == ()


def test_no_programme_means_no_points_and_no_points_tender(
    store_url: str, open_store: OpenStore
) -> None:
    store = open_store(store_url, catalog=shop_catalog())
    olha = store.loyalty.customers.add("Olha", phone="0671234567")
    session = till(store)
    sell(store, session, olha, ("BREAD", 10))
    assert balance(store, olha) == 0
    sale = session.new_sale()
    sale.add("BREAD")
    store.loyalty.identify(sale, "0671234567")
    with pytest.raises(RedemptionError, match="no loyalty programme"):
        sale.pay("points", "1.00")
    with pytest.raises(TenderError):
        sale.pay("points", "-1.00")


def test_the_programme_is_kept_for_every_till(durable_url: str, open_store: OpenStore) -> None:
    store = shop(open_store, durable_url)
    store.close()
    other = open_store(durable_url, new=False)
    assert other.loyalty.points.programme == PROGRAMME


def test_a_return_without_its_receipt_takes_back_what_the_money_would_earn_now(
    olha_store: tuple[Store, Customer],
) -> None:
    store, olha = olha_store
    session = till(store)
    sell(store, session, olha, ("COFFEE", 2))  # 378.00 of coffee, doubled: 75 points
    assert balance(store, olha) == 75

    def blind_return(*lines: tuple[str, int], customer: Customer | None) -> Receipt:
        ret = session.new_return(approved_by="super")
        for sku, qty in lines:
            ret.add(sku, qty)
        if customer is not None:
            store.loyalty.identify(ret, customer.phone or "")
        ret.refund("cash")
        return ret.complete()

    back = blind_return(("COFFEE", 1), ("CIGS", 1), customer=olha)
    # 189.00 of coffee would earn 37 (doubled); cigarettes earn nothing
    assert balance(store, olha) == 75 - 37
    moves = [m for m in store.loyalty.points.movements(olha.id) if m.sale_id == back.sale_id]
    assert [(m.kind, m.points, m.line_no, m.of_sale_id) for m in moves] == [
        (PointsKind.RETURN_EARN, -37, 1, None)
    ]
    blind_return(("COFFEE", 1), customer=None)  # nobody named: nobody loses points
    assert balance(store, olha) == 38
    blind_return(("COFFEE", 3), customer=olha)  # would take 113: only the 38 left
    assert balance(store, olha) == 0
    last = store.loyalty.points.movements(olha.id)[-1]
    assert (last.points, last.waived) == (-38, 75)
