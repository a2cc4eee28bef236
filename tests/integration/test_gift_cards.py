"""Gift cards through the store: sold untaxed, reloaded, spent, refunded onto, returned, expired.

What depends on the database (a card's ledger kept with its sale or not at
all, refusals inside the completing transaction) runs on memory, a SQLite
file and PostgreSQL; the rest runs on an in-memory store. Every balance is
checked against the sum of the card's ledger as well as the amount expected.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from possdk import FixedClock, Money, Product, RegisterSession, Store
from possdk.core import ProductKind, SaleState, TenderKind, luhn_digit
from possdk.errors import AccountError, ConfigurationError, CouponError, GiftCardError, SaleError
from possdk.loyalty import (
    LOYALTY_TERMINAL,
    GiftCardEntryKind,
    GiftCardPolicy,
    PercentOff,
    Promotion,
)
from tests.conftest import START, make_store
from tests.integration.conftest import OpenStore

GIFT = "GIFT"


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def with_gift_product(store: Store) -> Store:
    store.catalog.add(
        Product(GIFT, "Gift card", uah("25.00"), "exempt", kind=ProductKind.GIFT_CARD)
    )
    return store


def shop(open_store: OpenStore, url: str = "sqlite://", **kwargs: Any) -> Store:
    return with_gift_product(open_store(url, **kwargs))


def till(store: Store, register: str = "till-1") -> RegisterSession:
    return store.register(register).open_session(operator="cashier", opening_float="500.00")


def number(n: int) -> str:
    """A valid 20-digit card number (check digit included) that is not a new_number()."""
    body = f"7{n:018d}"
    return body + luhn_digit(body)


def sell_card(session: RegisterSession, card: str, amount: str, *extra: str) -> Any:
    sale = session.new_sale()
    for sku in extra:
        sale.add(sku)
    sale.add_gift_card(GIFT, card, amount)
    sale.pay("cash")
    return sale.complete()


def ledger_total(store: Store, card: str) -> Money:
    return sum((e.amount for e in store.loyalty.gift_cards.history(card)), uah("0"))


def loyalty_journal(store: Store) -> list[str]:
    return [e.type for e in store._read(lambda uow: list(uow.journal_entries()))
            if e.terminal_id == LOYALTY_TERMINAL]  # fmt: skip


# ---- selling and reloading ------------------------------------------------------------


def test_a_card_sold_on_a_sale_is_untaxed_and_issued_with_it(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    session = till(store)
    card = number(1)
    receipt = sell_card(session, card, "500.00", "COFFEE")
    # Coffee 189.00 carries its VAT; the card's 500.00 carries none.
    assert receipt.total == uah("689.00")
    assert receipt.totals.tax == uah("31.50")
    gift_line = receipt.lines[1]
    assert (gift_line.line.kind, gift_line.line.account) == (ProductKind.GIFT_CARD, card)
    assert gift_line.tax == 0
    kept = cards.get(card)
    assert kept.balance == uah("500.00")
    assert (kept.sale_id, kept.origin, kept.expires_at) == (receipt.sale_id, "sale", None)
    [entry] = cards.history(card)
    assert (entry.kind, entry.amount, entry.balance) == (
        GiftCardEntryKind.SOLD,
        uah("500.00"),
        uah("500.00"),
    )
    assert entry.reference == f"gc:sold:{receipt.sale_id}:2"

    # Reloading the same number credits it; a ledger entry per load.
    second = sell_card(session, card, "250.50")
    assert cards.balance(card) == uah("750.50") == ledger_total(store, card)
    assert [e.kind for e in cards.history(card)] == [GiftCardEntryKind.SOLD, GiftCardEntryKind.LOAD]
    assert cards.history(card)[-1].reference == f"gc:load:{second.sale_id}:1"
    assert cards.outstanding() == uah("750.50")
    assert store.verify_journal().ok


def test_a_promotion_is_never_taken_off_a_gift_card(open_store: OpenStore) -> None:
    store = shop(open_store)
    store.loyalty.promotions.add(Promotion("half", "Half price", PercentOff("50")))
    sale = till(store).new_sale()
    sale.add("BOOK")
    sale.add_gift_card(GIFT, number(2), "100.00")
    lines = sale.totals.lines
    assert lines[0].promotion_discount == Decimal("125.00")  # the promotion is running
    assert (lines[1].promotion_discount, lines[1].gross) == (0, Decimal("100.00"))
    sale.pay("cash")
    sale.complete()
    assert store.loyalty.gift_cards.balance(number(2)) == uah("100.00")


def test_two_cards_and_two_lines_of_one_card_on_one_sale(open_store: OpenStore) -> None:
    store = shop(open_store)
    sale = till(store).new_sale()
    sale.add_gift_card(GIFT, number(3), "100.00")
    sale.add_gift_card(GIFT, number(4), "20.00")
    sale.add_gift_card(GIFT, number(3), "50.00")
    sale.pay("cash")
    sale.complete()
    cards = store.loyalty.gift_cards
    assert cards.balance(number(3)) == uah("150.00") == ledger_total(store, number(3))
    assert cards.balance(number(4)) == uah("20.00")
    assert [e.kind.value for e in cards.history(number(3))] == ["sold", "load"]
    assert cards.outstanding() == uah("170.00")


def test_issue_outside_a_sale_block_and_unblock_are_journaled(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    card = cards.issue("75.00", customer_id="C-1")
    assert len(card.number) == 20 and luhn_digit(card.number[:-1]) == card.number[-1]
    assert (card.balance, card.origin, card.customer_id) == (uah("75.00"), "issue", "C-1")
    with pytest.raises(GiftCardError, match="exists already"):
        cards.issue("10.00", number=card.number)
    blocked = cards.block(card.number, "reported stolen")
    assert (blocked.active, blocked.blocked_reason) == (False, "reported stolen")
    assert cards.unblock(card.number).active
    assert loyalty_journal(store) == ["GiftCardIssued", "GiftCardBlocked", "GiftCardUnblocked"]
    assert store.verify_journal().ok


def test_the_policy_is_kept_in_the_store(open_store: OpenStore, durable_url: str) -> None:
    store = shop(open_store, durable_url)
    policy = GiftCardPolicy(valid_for=timedelta(days=365), max_balance=uah("1000.00"))
    store.loyalty.gift_cards.set_policy(policy)
    again = open_store(durable_url, new=False)
    assert again.loyalty.gift_cards.policy == policy
    with pytest.raises(ConfigurationError, match="taken for payment card numbers"):
        GiftCardPolicy(number_length=16)
    with pytest.raises(ConfigurationError, match="must be in UAH"):
        store.loyalty.gift_cards.set_policy(GiftCardPolicy(max_load=Money("5", "EUR")))


# ---- spending --------------------------------------------------------------------------


def test_spending_a_card_debits_it_in_the_sale_and_an_empty_card_is_refused(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    card = cards.issue("200.00").number
    empty = cards.issue("0.00").number
    session = till(store)
    sale = session.new_sale()
    sale.add("COFFEE")
    with pytest.raises(AccountError, match="empty"):
        sale.pay("gift_card", reference=empty)
    assert sale.tenders == ()
    tender = sale.pay("gift_card", reference=card)
    assert tender.amount == uah("189.00")
    assert cards.balance(card) == uah("200.00")  # nothing moves before completion
    sale.complete()
    assert cards.balance(card) == uah("11.00") == ledger_total(store, card)
    redeem = cards.history(card)[-1]
    assert (redeem.kind, redeem.amount, redeem.payment_id) == (
        GiftCardEntryKind.REDEEM,
        uah("-189.00"),
        tender.payment_id,
    )
    # Spent down to zero, the card is refused like any empty card.
    sale = session.new_sale()
    sale.add("GUM")
    sale.pay("gift_card", "8.01", reference=card)
    sale.complete()
    sale = session.new_sale()
    sale.add("GUM")
    sale.pay("gift_card", "2.99", reference=card)
    sale.pay("cash")
    sale.complete()
    assert cards.balance(card) == uah("0.00") == ledger_total(store, card)
    sale = session.new_sale()
    sale.add("GUM")
    with pytest.raises(AccountError, match="empty"):
        sale.pay("gift_card", reference=card)


def test_an_expired_card_is_refused_at_the_tender_and_at_completion(
    open_store: OpenStore, store_url: str, clock: FixedClock
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    card = cards.issue("300.00", expires=timedelta(hours=2)).number
    session = till(store)
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.pay("gift_card", reference=card)  # still valid
    clock.advance(timedelta(hours=3))
    with pytest.raises(GiftCardError, match="expired"):
        sale.complete()
    assert sale.state is SaleState.TENDERING
    assert cards.balance(card) == uah("300.00") == ledger_total(store, card)
    assert store.receipts() == ()
    sale.void(reason="card expired", approved_by="super")
    other = session.new_sale()
    other.add("GUM")
    with pytest.raises(GiftCardError, match="expired"):
        other.pay("gift_card", reference=card)
    with pytest.raises(GiftCardError, match="expired"):
        sell_card(session, card, "10.00")  # nor reloaded


def test_a_blocked_card_is_neither_spent_nor_loaded(open_store: OpenStore) -> None:
    store = shop(open_store)
    cards = store.loyalty.gift_cards
    card = cards.issue("100.00").number
    cards.block(card, "lost")
    sale = till(store).new_sale()
    sale.add("GUM")
    with pytest.raises(AccountError, match=r"blocked \(lost\)"):
        sale.pay("gift_card", reference=card)
    sale.add_gift_card(GIFT, card, "10.00")
    with pytest.raises(GiftCardError, match="blocked"):
        sale.pay("cash")
    assert sale.tenders == ()
    assert cards.balance(card) == uah("100.00")


def test_a_card_blocked_between_tender_and_completion_stops_the_sale(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    card = cards.issue("100.00").number
    sale = till(store).new_sale()
    sale.add("GUM")
    sale.pay("gift_card", reference=card)
    cards.block(card, "fraud")
    with pytest.raises(AccountError, match="blocked"):
        sale.complete()
    assert sale.state is SaleState.TENDERING
    assert cards.balance(card) == uah("100.00") == ledger_total(store, card)


def test_a_card_in_another_currency_is_refused(open_store: OpenStore) -> None:
    store = shop(open_store)
    card = number(5)
    store.payments.open_account(TenderKind.GIFT_CARD, card, Money("50.00", "EUR"))
    sale = till(store).new_sale()
    sale.add("GUM")
    with pytest.raises(AccountError, match="in EUR"):
        sale.pay("gift_card", reference=card)
    sale.add_gift_card(GIFT, card, "10.00")
    with pytest.raises(GiftCardError, match="in EUR"):
        sale.pay("cash")
    assert store.loyalty.gift_cards.balance(card) == Money("50.00", "EUR")


def test_bad_card_lines_are_refused_before_the_first_tender(open_store: OpenStore) -> None:
    store = shop(open_store)
    session = till(store)
    sale = session.new_sale()
    sale.add(GIFT)  # a gift card product rung up like goods: no number
    with pytest.raises(GiftCardError, match="without its number"):
        sale.pay("cash")
    assert sale.tenders == ()
    with pytest.raises(SaleError, match="needs the card's number"):
        sale.add_gift_card(GIFT, "  ", "10.00")
    bad = number(6)[:-1] + str((int(number(6)[-1]) + 1) % 10)
    fresh = session.new_sale()
    fresh.add_gift_card(GIFT, bad, "10.00")
    with pytest.raises(GiftCardError, match="Luhn check digit"):
        fresh.pay("cash")
    pan = session.new_sale()
    pan.add_gift_card(GIFT, "4111111111111111", "10.00")
    with pytest.raises(GiftCardError, match="payment card number"):
        pan.pay("cash")
    credit = session.new_sale()
    store.payments.open_account(TenderKind.STORE_CREDIT, number(7), uah("5.00"))
    credit.add_gift_card(GIFT, number(7), "10.00")
    with pytest.raises(GiftCardError, match="store-credit account"):
        credit.pay("cash")
    assert store.loyalty.gift_cards.outstanding() == uah("0.00")


def test_load_limits_of_the_policy(open_store: OpenStore) -> None:
    store = shop(open_store)
    cards = store.loyalty.gift_cards
    cards.set_policy(GiftCardPolicy(max_load=uah("300.00"), max_balance=uah("500.00")))
    session = till(store)
    sale = session.new_sale()
    sale.add_gift_card(GIFT, number(8), "300.01")
    with pytest.raises(GiftCardError, match=r"more than the 300\.00 UAH"):
        sale.pay("cash")
    sell_card(session, number(8), "300.00")
    sale = session.new_sale()
    sale.add_gift_card(GIFT, number(8), "200.01")
    with pytest.raises(GiftCardError, match=r"would hold 500\.01 UAH"):
        sale.pay("cash")
    sell_card(session, number(8), "200.00")
    assert cards.balance(number(8)) == uah("500.00")


def test_a_card_cannot_pay_for_its_own_reload(open_store: OpenStore) -> None:
    store = shop(open_store)
    card = store.loyalty.gift_cards.issue("100.00").number
    sale = till(store).new_sale()
    sale.add_gift_card(GIFT, card, "50.00")
    sale.pay("gift_card", reference=card)
    with pytest.raises(GiftCardError, match="its own load"):
        sale.complete()
    assert store.loyalty.gift_cards.balance(card) == uah("100.00")


# ---- refunds and returns ---------------------------------------------------------------


def test_a_refund_goes_onto_a_new_or_an_existing_card(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    session = till(store)
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.add("BOOK")
    sale.pay("cash")
    receipt = sale.complete()

    new_card = number(9)
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    [tender] = ret.refund("gift_card", reference=new_card)
    assert (tender.kind, tender.amount) == (TenderKind.GIFT_CARD, uah("-189.00"))
    done = ret.complete()
    card = cards.get(new_card)
    assert (card.balance, card.origin, card.sale_id) == (uah("189.00"), "refund", done.sale_id)
    [entry] = cards.history(new_card)
    assert (entry.kind, entry.amount) == (GiftCardEntryKind.REFUND, uah("189.00"))

    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(2)
    ret.refund("gift_card", reference=new_card)
    ret.complete()
    assert cards.balance(new_card) == uah("439.00") == ledger_total(store, new_card)


def test_a_return_of_goods_paid_by_card_refunds_the_card(open_store: OpenStore) -> None:
    store = shop(open_store)
    cards = store.loyalty.gift_cards
    card = cards.issue("300.00").number
    session = till(store)
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.pay("gift_card", reference=card)
    receipt = sale.complete()
    assert cards.balance(card) == uah("111.00")
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    [tender] = ret.refund()  # back to the tender that paid
    assert (tender.kind, tender.reference) == (TenderKind.GIFT_CARD, card)
    ret.complete()
    assert cards.balance(card) == uah("300.00") == ledger_total(store, card)
    assert [e.kind.value for e in cards.history(card)] == ["issue", "redeem", "refund"]


def test_a_sold_card_comes_back_only_while_it_holds_its_value(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    session = till(store)
    kept, spent = number(10), number(11)
    sold = sell_card(session, kept, "100.00")
    ret = session.new_return(sold, approved_by="super")
    ret.return_line(1)
    ret.refund("cash")
    ret.complete()
    assert cards.balance(kept) == uah("0.00") == ledger_total(store, kept)
    assert cards.history(kept)[-1].kind is GiftCardEntryKind.RETURN
    back = store.receipts()[-1].lines[0].line
    assert (back.kind, back.account) == (ProductKind.GIFT_CARD, kept)  # kept from the sale
    assert store.inventory.movements(sku=GIFT) == ()  # a card is no stock, either way

    sold = sell_card(session, spent, "100.00")
    sale = session.new_sale()
    sale.add("GUM")
    sale.pay("gift_card", reference=spent)
    sale.complete()
    ret = session.new_return(sold, approved_by="super")
    ret.return_line(1)
    ret.refund("cash")
    with pytest.raises(GiftCardError, match=r"holds 91\.99 UAH.*cannot be returned"):
        ret.complete()
    assert ret.state is SaleState.TENDERING
    assert cards.balance(spent) == uah("91.99") == ledger_total(store, spent)
    ret.void(reason="card spent", approved_by="super")
    assert [r.kind.value for r in store.receipts()] == ["sale", "return", "sale", "sale"]


# ---- expiry ----------------------------------------------------------------------------


def test_by_default_nothing_expires(open_store: OpenStore, clock: FixedClock) -> None:
    store = shop(open_store)
    card = store.loyalty.gift_cards.issue("40.00")
    assert card.expires_at is None
    clock.advance(timedelta(days=3650))
    assert store.loyalty.gift_cards.expire() == ()
    assert store.loyalty.gift_cards.balance(card.number) == uah("40.00")
    assert loyalty_journal(store) == ["GiftCardIssued"]


def test_expiry_writes_lapsed_balances_off_once(
    open_store: OpenStore, store_url: str, clock: FixedClock
) -> None:
    store = shop(open_store, store_url)
    cards = store.loyalty.gift_cards
    cards.set_policy(GiftCardPolicy(valid_for=timedelta(days=30)))
    session = till(store)
    sold = sell_card(session, number(12), "60.00")
    assert cards.get(number(12)).expires_at == sold.completed_at + timedelta(days=30)
    lasting = cards.issue("25.00", expires=START + timedelta(days=400)).number
    blocked = cards.issue("5.00", expires=timedelta(days=1)).number
    cards.block(blocked, "dispute")
    assert cards.outstanding() == uah("90.00")

    clock.advance(timedelta(days=31))
    assert cards.expire() == ((number(12), uah("60.00")),)
    assert cards.expire() == ()  # written off once
    assert cards.balance(number(12)) == uah("0.00") == ledger_total(store, number(12))
    assert cards.history(number(12))[-1].kind is GiftCardEntryKind.EXPIRE
    assert cards.balance(lasting) == uah("25.00")
    assert cards.balance(blocked) == uah("5.00")  # left for the merchant to settle
    assert cards.outstanding() == uah("30.00")
    assert loyalty_journal(store).count("GiftCardsExpired") == 1
    assert store.verify_journal().ok


# ---- what is kept ----------------------------------------------------------------------


def test_a_sale_that_fails_to_complete_leaves_no_card_behind(
    open_store: OpenStore, store_url: str
) -> None:
    store = shop(open_store, store_url)
    store.loyalty.coupons.create("ONCE")
    first, second = till(store, "till-1").new_sale(), till(store, "till-2").new_sale()
    for sale in (first, second):
        sale.add("GUM")
        store.loyalty.coupons.apply(sale, "ONCE")
    second.add_gift_card(GIFT, number(13), "70.00")
    first.pay("cash")
    second.pay("cash")
    first.complete()
    with pytest.raises(CouponError, match="used already"):
        second.complete()
    with pytest.raises(GiftCardError, match="no gift card"):
        store.loyalty.gift_cards.get(number(13))
    assert store.loyalty.gift_cards.outstanding() == uah("0.00")


def test_every_balance_change_is_an_account_entry(open_store: OpenStore, durable_url: str) -> None:
    store = shop(open_store, durable_url)
    session = till(store)
    card = number(14)
    sell_card(session, card, "80.00")
    sale = session.new_sale()
    sale.add("GUM")
    sale.pay("gift_card", reference=card)
    sale.complete()
    engine = sa.create_engine(durable_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            balance = conn.execute(
                sa.text("SELECT balance_minor FROM accounts WHERE number = :n"), {"n": card}
            ).scalar_one()
            entries = conn.execute(
                sa.text(
                    "SELECT SUM(amount_minor), COUNT(*) FROM account_entries WHERE number = :n"
                ),
                {"n": card},
            ).one()
            meta = conn.execute(
                sa.text("SELECT origin FROM gift_cards WHERE number = :n"), {"n": card}
            ).scalar_one()
    finally:
        engine.dispose()
    assert balance == 8000 - 801 == entries[0]
    assert entries[1] == 2
    assert meta == "sale"


# ---- a property: the ledger is the balance ------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["load", "spend", "refund", "return"]),
        st.integers(min_value=1, max_value=30_000),
    ),
    min_size=1,
    max_size=12,
)


@given(ops=OPS)
def test_any_loads_spends_and_refunds_keep_the_balance_the_sum_of_the_ledger(
    ops: list[tuple[str, int]],
) -> None:
    store = with_gift_product(make_store())
    try:
        cards = store.loyalty.gift_cards
        card = number(99)
        session = till(store)
        expected = 0
        sold: list[Any] = []  # receipts of loads, to return one
        spent_on: list[Any] = []  # receipts paid by the card, to refund
        for op, minor in ops:
            amount = Money.from_minor(minor, "UAH")
            if op == "load":
                sold.append(sell_card(session, card, str(amount.amount)))
                expected += minor
            elif op == "spend":
                sale = session.new_sale()
                sale.add("BOOK", 1)
                sale.override_price(1, amount, approved_by="super")
                try:
                    sale.pay("gift_card", reference=card)
                except AccountError:
                    assert expected < minor  # refused only if the card cannot cover it
                    continue
                spent_on.append(sale.complete())
                expected -= minor
            elif op == "refund" and spent_on:
                receipt = spent_on.pop()
                ret = session.new_return(receipt, approved_by="super")
                ret.return_line(1)
                ret.refund()
                ret.complete()
                expected += receipt.total.minor
            elif op == "return" and sold:
                receipt = sold.pop()
                ret = session.new_return(receipt, approved_by="super")
                ret.return_line(1)
                ret.refund("cash")
                try:
                    ret.complete()
                except GiftCardError:
                    assert expected < receipt.total.minor  # only if it was spent
                    ret.void(reason="spent", approved_by="super")
                    continue
                expected -= receipt.total.minor
            if store._read(lambda uow: uow.gift_card(card)) is not None:
                history = cards.history(card)
                running = 0
                for entry in history:
                    running += entry.amount.minor
                    assert running >= 0
                    assert entry.balance.minor == running
                assert cards.balance(card).minor == expected == running
    finally:
        store.close()
