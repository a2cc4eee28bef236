"""X and Z reports of a hand-computed day on SQLite and PostgreSQL: every figure, gift cards
sold and spent, one Z per session (also from another process), old kept reports still read."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from possdk import Money, Product, RegisterReport, RegisterSession, Store, TenderKind
from possdk.core import ProductKind, RegisterSessionClosed, TaxLine, TenderTotal, luhn_digit
from possdk.errors import RegisterSessionStateError
from tests.conftest import VAT7, VAT20
from tests.integration.conftest import OpenStore

GIFT = "GIFT"
NEW_REPORT_KEYS = (
    "gift_cards_sold_count",
    "gift_cards_sold",
    "gift_cards_redeemed_count",
    "gift_cards_redeemed",
    "grand_total_sales",
    "grand_total_returns",
)
NEW_TOTALS_KEYS = NEW_REPORT_KEYS[:4]


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def card_number(n: int) -> str:
    body = f"7{n:018d}"
    return body + luhn_digit(body)


def shop(open_store: OpenStore, url: str, **kwargs: Any) -> Store:
    store = open_store(url, **kwargs)
    if GIFT not in store.catalog:
        store.catalog.add(
            Product(GIFT, "Gift card", uah("25.00"), "exempt", kind=ProductKind.GIFT_CARD)
        )
    return store


def ring_up_the_day(store: Store) -> RegisterSession:
    """The day every figure below is computed from by hand.

    Card B (300.00) is issued before the shift, outside any sale.

    1. COFFEE 189.00 + gift card A 500.00 (+ GUM voided) = 689.00, cash 700 (change 11.00)
    2. BREAD 32.50 + MILK 41.90 = 74.40, on gift card B
    3. gift card C 100.00, by card
    4. return of sale 3 (card C back, unspent): -100.00 cash
    5. return of the BREAD of sale 2: -32.50 back onto card B
    6. COFFEE less 9.00 = 180.00: 100.00 on card B, cash 100 for the 80.00 left
    7. GUM 8.01, voided
    8. paid in 50.00, paid out 20.00, one no-sale
    """
    card_b = store.loyalty.gift_cards.issue("300.00", number=card_number(2)).number
    session = store.register("till-1").open_session(operator="cashier", opening_float="500.00")

    sale = session.new_sale()
    sale.add("COFFEE")
    sale.add_gift_card(GIFT, card_number(1), "500.00")
    gum = sale.add("GUM")
    sale.void_line(gum.line_no, approved_by="super")
    sale.pay("cash", "700")
    sale.complete()

    sale = session.new_sale()
    sale.add("BREAD")
    sale.add("MILK")
    sale.pay("gift_card", reference=card_b)
    groceries = sale.complete()

    sale = session.new_sale()
    sale.add_gift_card(GIFT, card_number(3), "100.00")
    sale.pay("card")
    card_c = sale.complete()

    ret = session.new_return(card_c, approved_by="super")
    ret.return_line(1)
    ret.refund("cash")
    ret.complete()

    ret = session.new_return(groceries, approved_by="super")
    ret.return_line(1)
    ret.refund()  # back to the tender that paid: card B
    ret.complete()

    sale = session.new_sale()
    coffee = sale.add("COFFEE")
    sale.discount_line(coffee.line_no, amount="9.00")
    sale.pay("gift_card", "100.00", reference=card_b)
    sale.pay("cash", "100")
    sale.complete()

    sale = session.new_sale()
    sale.add("GUM")
    sale.void(reason="changed their mind", approved_by="super")

    session.paid_in("50.00", reason="change from the bank")
    session.paid_out("20.00", reason="window cleaner")
    session.open_drawer(reason="change for a customer", approved_by="super")
    return session


def assert_the_day(report: RegisterReport) -> None:
    assert (report.sale_count, report.sales, report.discounts) == (4, uah("1043.40"), uah("9.00"))
    assert (report.return_count, report.returns) == (2, uah("132.50"))
    assert report.net_sales == uah("910.90")
    assert (report.void_count, report.voided_total) == (1, uah("8.01"))
    assert report.voided_line_count == 1
    # COFFEE 189.00 + 180.00 at 20 %; BREAD + MILK 74.40 at 7 %, less the BREAD 32.50;
    # gift cards are untaxed and have no row.
    assert report.tax_breakdown == (
        TaxLine(VAT20, uah("307.50"), uah("61.50")),
        TaxLine(VAT7, uah("39.16"), uah("2.74")),
    )
    assert report.tenders == (
        TenderTotal(TenderKind.CASH, 3, uah("669.00")),  # 689.00 + 80.00 - 100.00
        TenderTotal(TenderKind.CARD, 1, uah("100.00")),
        TenderTotal(TenderKind.GIFT_CARD, 3, uah("141.90")),  # 74.40 + 100.00 - 32.50
    )
    assert (report.cash_sales, report.cash_refunds) == (uah("769.00"), uah("100.00"))
    assert (report.paid_in, report.paid_out) == (uah("50.00"), uah("20.00"))
    assert report.cash_rounding == uah("0.00")
    assert report.expected_cash == uah("1199.00")  # 500 + 769 - 100 + 50 - 20
    # Cards A and C sold, C returned; card B spent twice, 32.50 put back on it.
    assert (report.gift_cards_sold_count, report.gift_cards_sold) == (1, uah("500.00"))
    assert (report.gift_cards_redeemed_count, report.gift_cards_redeemed) == (1, uah("141.90"))
    assert report.no_sale_count == 1
    # The voided line, two returns, the voided sale, the no-sale.
    assert report.approval_count == 5


def test_x_and_z_of_a_day_add_up_by_hand(open_store: OpenStore, durable_url: str) -> None:
    store = shop(open_store, durable_url)
    session = ring_up_the_day(store)

    x = session.x_report()
    assert (x.is_final, x.number, x.counted_cash, x.variance) == (False, None, None, None)
    assert_the_day(x)
    later = session.x_report()
    assert later.at > x.at and attrs.evolve(later, at=x.at) == x  # taking one changes nothing
    z = session.close(counted_cash="1198.50")
    assert (z.is_final, z.number) == (True, 1)
    assert_the_day(z)
    assert (z.counted_cash, z.variance) == (uah("1198.50"), uah("-0.50"))
    assert z.opened_at == x.opened_at and z.at > x.at

    # Kept as it was given, and read back so after a restart.
    again = shop(open_store, durable_url, new=False)
    [kept] = again.z_reports()
    assert kept == z
    assert RegisterReport.from_json(kept.to_json()) == z


def test_the_day_renders_at_every_width_with_its_gift_cards(
    open_store: OpenStore, durable_url: str
) -> None:
    store = shop(open_store, durable_url)
    z = ring_up_the_day(store).close(counted_cash="1199.00")
    for locale in ("en_US", "uk_UA"):
        for width in (32, 42, 48):
            text = z.as_text(width=width, locale=locale)
            lines = text.splitlines()
            assert max(len(line) for line in lines) <= width, (locale, width)
            if locale == "en_US":
                assert "Gift cards sold (1)" in text and "Gift cards redeemed (1)" in text
                assert any(ln.endswith("500.00") and "sold" in ln for ln in lines)
    row = {r["key"]: r["value"] for r in _csv(z.to_csv()) if r["section"] == "gift_cards"}
    assert row == {
        "gift_cards_sold_count": "1",
        "gift_cards_sold": "500.00",
        "gift_cards_redeemed_count": "1",
        "gift_cards_redeemed": "141.90",
    }


def _csv(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


# ---- one Z per session -------------------------------------------------------------------


def test_a_z_is_taken_once_even_from_another_process(
    open_store: OpenStore, durable_url: str
) -> None:
    till_app = shop(open_store, durable_url)
    session = till_app.register("till-1").open_session(operator="cashier", opening_float="100")
    sale = session.new_sale()
    sale.add("BREAD")
    sale.pay("cash")
    sale.complete()

    back_office = shop(open_store, durable_url, new=False)
    shift = back_office.register("till-1").session
    assert shift is not None and shift.id == session.id

    z = session.close(counted_cash="132.50")
    with pytest.raises(RegisterSessionStateError, match="closed"):
        session.close(counted_cash="132.50")
    with pytest.raises(RegisterSessionStateError, match="closed"):
        shift.close(counted_cash="132.50")  # the back office still held it open
    assert back_office.z_reports() == (z,)
    closes = [
        e
        for e in back_office._read(lambda uow: list(uow.journal_entries()))
        if e.type == RegisterSessionClosed.__name__
    ]
    assert len(closes) == 1
    assert json.loads(closes[0].payload)["report"]["number"] == 1


# ---- reports and totals kept by an earlier possdk ---------------------------------------------


def _raw(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return sa.create_engine(url)


def _strip(text: str, keys: tuple[str, ...]) -> str:
    data = json.loads(text)
    assert set(keys) <= set(data)  # they are written now...
    for key in keys:
        del data[key]  # ...and were not before
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def test_reports_and_totals_kept_before_gift_cards_still_load(
    open_store: OpenStore, durable_url: str
) -> None:
    store = shop(open_store, durable_url)
    session = ring_up_the_day(store)
    z = session.close(counted_cash="1199.00")
    still_open = store.register("till-2").open_session(operator="cashier", opening_float="10")
    sale = still_open.new_sale()
    sale.add_gift_card(GIFT, card_number(9), "50.00")
    sale.pay("cash")
    sale.complete()
    store.close()

    engine = _raw(durable_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT id, totals, z_report FROM register_sessions"))
            for sid, totals, report in rows.fetchall():
                conn.execute(
                    sa.text(
                        "UPDATE register_sessions SET totals = :t, z_report = :z WHERE id = :i"
                    ),
                    {
                        "t": _strip(totals, NEW_TOTALS_KEYS),
                        "z": None if report is None else _strip(report, NEW_REPORT_KEYS),
                        "i": sid,
                    },
                )
    finally:
        engine.dispose()

    reopened = shop(open_store, durable_url, new=False)
    [old] = reopened.z_reports()
    assert (old.gift_cards_sold_count, old.gift_cards_sold) == (0, uah("0"))
    assert (old.gift_cards_redeemed_count, old.gift_cards_redeemed) == (0, uah("0"))
    assert (old.grand_total_sales, old.grand_total_returns) == (None, None)
    assert old.sales == z.sales and old.tenders == z.tenders and old.number == 1
    assert "Gift cards" not in old.as_text(width=42)
    assert RegisterReport.from_json(old.to_json()) == old

    # The open session's kept totals had no gift card figures: they start from zero.
    shift = reopened.register("till-2").session
    assert shift is not None
    assert shift.x_report().gift_cards_sold == uah("0")
    sale = shift.new_sale()
    sale.add_gift_card(GIFT, card_number(10), "20.00")
    sale.pay("cash")
    sale.complete()
    x = shift.x_report()
    assert (x.gift_cards_sold_count, x.gift_cards_sold) == (1, uah("20.00"))
    assert x.sales == uah("70.00")


# ---- grand totals ----------------------------------------------------------------------------


@pytest.mark.skipif(
    not hasattr(Store, "grand_totals"),
    reason="the Store does not offer grand_totals() yet (see tests/unit/core/"
    "test_register_report_formats.py for the report side)",
)
def test_reports_show_the_journal_grand_totals(open_store: OpenStore, durable_url: str) -> None:
    store = shop(open_store, durable_url)
    first = ring_up_the_day(store)
    x = first.x_report()
    assert (x.grand_total_sales, x.grand_total_returns) == (uah("1043.40"), uah("132.50"))
    z1 = first.close(counted_cash="1199.00")
    assert (z1.grand_total_sales, z1.grand_total_returns) == (uah("1043.40"), uah("132.50"))

    second = store.register("till-1").open_session(operator="cashier")
    sale = second.new_sale()
    sale.add("BREAD")
    sale.pay("card")
    sale.complete()
    z2 = second.close(counted_cash="0")
    # Never reset: the second shift's grand total carries the first's.
    assert z2.sales == uah("32.50")
    assert (z2.grand_total_sales, z2.grand_total_returns) == (uah("1075.90"), uah("132.50"))
    _, _, gt_sales, gt_returns = store._read(lambda uow: uow.journal_heads())["till-1"]
    assert (gt_sales, gt_returns) == (107590, 13250)
    assert "Grand total sales       1,075.90" in z2.as_text(width=32).splitlines()
    data = json.loads(z2.to_json())
    assert (data["grand_total_sales"], data["grand_total_returns"]) == ("1075.90", "132.50")


def test_a_sale_landing_while_the_z_is_made_is_counted_in_it(
    open_store: OpenStore, durable_url: str
) -> None:
    """Another till (a second process on the same session) completes a sale between the
    moment the Z's figures are read and the close's transaction: the close notices and
    builds the Z again, so the Z never misses a receipt its session took."""
    here = open_store(durable_url)
    session = here.register("till-1").open_session(operator="cashier", opening_float="100")
    there = open_store(durable_url, new=False)
    other = there.register("till-1").session
    assert other is not None and other.id == session.id
    build = session._report
    landed = []

    def report_then_a_sale_lands(**kwargs: Any) -> RegisterReport:
        made = build(**kwargs)
        if not landed:  # only the first time: the retry sees it
            sale = other.new_sale()
            sale.add("BREAD")
            sale.pay("cash", "100")
            landed.append(sale.complete())
        return made

    session._report = report_then_a_sale_lands  # type: ignore[method-assign]
    z = session.close(counted_cash="132.50")
    assert landed and z.sale_count == 1 and z.sales == landed[0].total
    assert z.expected_cash == uah("132.50") and z.variance == uah("0.00")
    kept = here.z_reports()[-1]
    assert (kept.sale_count, kept.sales) == (1, landed[0].total)


def test_the_close_gives_up_after_a_few_tries_and_closes_nothing(
    open_store: OpenStore,
) -> None:
    from possdk.errors import SessionTotalsChangedError

    here = open_store("sqlite://")
    session = here.register("till-1").open_session(operator="cashier", opening_float="100")
    build = session._report

    def always_stale(**kwargs: Any) -> RegisterReport:
        return attrs.evolve(build(**kwargs), sale_count=99)  # never what was kept

    session._report = always_stale  # type: ignore[method-assign]
    with pytest.raises(SessionTotalsChangedError, match="close it again"):
        session.close(counted_cash="100")
    assert here.register("till-1").session is not None  # still open
    assert here.z_reports() == ()
