"""Customer reports: hand-computed figures of a fixed history on SQLite and PostgreSQL.

Six customers and a few anonymous receipts over October and November 2026 in
Kyiv; every expected figure below is worked out by hand from ``ring_up``'s
docstring, not read back from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from possdk import Catalog, FixedClock, Money, Product, Receipt, Settings, Store, TaxCategory
from possdk.core import RegisterSession
from possdk.errors import ReportError
from possdk.reports import (
    CustomerReports,
    CustomerSales,
    DemographicGroup,
    RfmSegment,
    RfmSegmentTotals,
)
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore

KYIV = Settings(currency="UAH", timezone="Europe/Kyiv")
OCT, NOV, DEC, JAN = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)

Shop = tuple[Store, dict[str, str]]


def m(value: str) -> Money:
    return Money(value, "UAH")


def catalog() -> Catalog:
    exempt = TaxCategory("exempt", [])  # no tax: a receipt's total is its price
    return Catalog(
        [exempt],
        [
            Product("BOOK", "Book", m("250.00"), "exempt"),
            Product("TEA", "Tea", m("95.00"), "exempt"),
            Product("PEN", "Pen", m("10.00"), "exempt"),
        ],
    )


def ring_up(store: Store, clock: FixedClock) -> dict[str, str]:
    """The history, all at 10:00 UTC unless said (13:00 or 12:00 in Kyiv):

    customers (birth year, postcode): ann (1990, "01001"), bob (2000, "01 034"),
    cat (1950, "02100"), dan (none), eve (1995, "01-010"), fay (none, "01 055").

    Oct 15 ann BOOK 250 | Oct 18 fay TEA 95 | Oct 20 anonymous TEA 95
    Nov 2 ann TEA 95 | Nov 3 bob BOOK 250, 11:00 anonymous PEN 10
    Nov 5 bob PEN x2 20, 11:00 bob's BOOK returned (the return names nobody) -250
    Nov 8 fay's TEA returned (names nobody) -95 | Nov 10 cat TEA 95
    Nov 12 dan PEN 10, 11:00 eve BOOK 250 | Nov 20 ann PEN 10 | Nov 21 bob TEA 95
    Nov 22 anonymous BOOK 250 | Dec 2 cat PEN 10
    """
    people = {
        "ann": {"birth_year": 1990, "postcode": "01001"},
        "bob": {"birth_year": 2000, "postcode": "01 034"},
        "cat": {"birth_year": 1950, "postcode": "02100"},
        "dan": {},
        "eve": {"birth_year": 1995, "postcode": "01-010"},
        "fay": {"postcode": "01 055"},
    }
    ids = {
        name: store.loyalty.customers.add(name.title(), **fields).id  # type: ignore[arg-type]
        for name, fields in people.items()
    }
    till = store.register("till-1").open_session(operator=CASHIER.id)

    def at(month: int, day: int, hour: int = 10) -> None:
        clock.advance(datetime(2026, month, day, hour, tzinfo=timezone.utc) - clock.now())

    def sell(who: str | None, sku: str, qty: int = 1) -> Receipt:
        sale = till.new_sale()
        sale.add(sku, qty)
        if who is not None:
            sale.identify_customer(ids[who])
        sale.pay("cash")
        return sale.complete()

    def give_back(session: RegisterSession, receipt: Receipt) -> None:
        back = session.new_return(receipt, approved_by=SUPERVISOR.id)
        back.return_line(1)
        back.refund()
        back.complete()

    at(10, 15)
    sell("ann", "BOOK")
    at(10, 18)
    fays_tea = sell("fay", "TEA")
    at(10, 20)
    sell(None, "TEA")
    at(11, 2)
    sell("ann", "TEA")
    at(11, 3)
    bobs_book = sell("bob", "BOOK")
    at(11, 3, 11)
    sell(None, "PEN")
    at(11, 5)
    sell("bob", "PEN", 2)
    at(11, 5, 11)
    give_back(till, bobs_book)
    at(11, 8)
    give_back(till, fays_tea)
    at(11, 10)
    sell("cat", "TEA")
    at(11, 12)
    sell("dan", "PEN")
    at(11, 12, 11)
    sell("eve", "BOOK")
    at(11, 20)
    sell("ann", "PEN")
    at(11, 21)
    sell("bob", "TEA")
    at(11, 22)
    sell(None, "BOOK")
    at(12, 2)
    sell("cat", "PEN")
    return ids


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> Shop:
    clock = FixedClock(datetime(2026, 10, 1, 7, 0, tzinfo=timezone.utc))
    store = open_store(durable_url, catalog=catalog(), settings=KYIV, clock=clock)
    return store, ring_up(store, clock)


@pytest.fixture
def erased(shop: Shop) -> Shop:
    """The shop after eve asked to be forgotten."""
    store, ids = shop
    store.loyalty.customers.erase(ids["eve"])
    return shop


# ---- new vs returning ------------------------------------------------------------------


def test_new_and_returning_customers_and_anonymous_receipts(shop: Shop) -> None:
    store, _ = shop
    nvr = CustomerReports(store).new_vs_returning(NOV, DEC)
    # bob, cat, dan and eve bought for the first time in November; bob's return
    # names nobody but counts for him: it gives back his sale.
    assert nvr.new == CustomerSales(4, 6, 1, m("720.00"), m("-250.00"))
    assert nvr.new.total == m("470.00")
    # ann bought in October; fay bought in October and only returned in November.
    assert nvr.returning == CustomerSales(2, 2, 1, m("105.00"), m("-95.00"))
    assert nvr.anonymous == CustomerSales(None, 2, 0, m("260.00"), m("0.00"))
    assert nvr.overall == CustomerSales(6, 10, 2, m("1085.00"), m("-345.00"))


def test_the_members_share_of_sales_and_of_receipts(shop: Shop) -> None:
    store, _ = shop
    nvr = CustomerReports(store).new_vs_returning(NOV, DEC)
    assert nvr.members_share == Decimal("0.7604")  # 825.00 / 1085.00 = 0.76037
    assert nvr.members_receipt_share == Decimal("0.8000")  # 8 of 10 sale receipts
    october = CustomerReports(store).new_vs_returning(OCT, NOV)
    assert october.new == CustomerSales(2, 2, 0, m("345.00"), m("0.00"))  # ann and fay
    assert october.members_share == Decimal("0.7841")  # 345 / 440


def test_a_customer_new_in_one_month_returns_in_the_next(shop: Shop) -> None:
    store, _ = shop
    december = CustomerReports(store).new_vs_returning(DEC, JAN)
    assert december.new == CustomerSales(0, 0, 0, m("0.00"), m("0.00"))
    assert december.returning == CustomerSales(1, 1, 0, m("10.00"), m("0.00"))  # cat


def test_new_vs_returning_renders_as_text_csv_and_json(shop: Shop) -> None:
    store, _ = shop
    nvr = CustomerReports(store).new_vs_returning(NOV, DEC)
    rows = {r["group"]: r for r in csv.DictReader(io.StringIO(nvr.to_csv()))}
    assert list(rows) == ["new", "returning", "members", "anonymous", "all"]
    assert rows["members"] == {
        "group": "members",
        "customers": "6",
        "sales": "8",
        "sales_total": "825.00",
        "total": "480.00",
        "share": "0.7604",
        "receipt_share": "0.8000",
    }
    assert rows["anonymous"]["customers"] == ""
    doc = json.loads(nvr.to_json())
    assert doc["report"] == "New and returning customers 2026-11-01 to 2026-12-01"
    assert doc["rows"][4] == {
        "group": "all",
        "customers": 6,
        "sales": 10,
        "sales_total": "1085.00",
        "total": "740.00",
        "share": "1.0000",
        "receipt_share": "1.0000",
    }
    assert max(len(line) for line in nvr.as_text().splitlines()) <= 80


# ---- visit frequency -------------------------------------------------------------------


def test_visit_frequency_buckets_and_average(shop: Shop) -> None:
    store, _ = shop
    visits = CustomerReports(store).visit_frequency(NOV, DEC)
    table = [(b.label, b.customers, b.sales, b.sales_total) for b in visits.buckets]
    assert table == [
        ("1", 3, 3, m("355.00")),  # cat 95, dan 10, eve 250
        ("2", 1, 2, m("105.00")),  # ann
        ("3-4", 1, 3, m("365.00")),  # bob (his return is not a visit)
        ("5-9", 0, 0, m("0.00")),
        ("10+", 0, 0, m("0.00")),
    ]
    assert (visits.customers, visits.sales) == (5, 8)  # fay only returned: no visit
    assert visits.average_visits == Decimal("1.60")
    rows = list(csv.DictReader(io.StringIO(visits.to_csv())))
    assert rows[-1] == {"visits": "all", "customers": "5", "sales": "8", "sales_total": "825.00"}
    assert "1.60 visits per customer" in visits.as_text()


# ---- RFM -------------------------------------------------------------------------------


def test_rfm_scores_and_segments_are_hand_computed(shop: Shop) -> None:
    store, ids = shop
    report = CustomerReports(store).rfm(date(2026, 11, 30))
    name = {cid: n for n, cid in ids.items()}
    got = {
        name[c.customer_id]: (c.recency, c.frequency, c.monetary, c.score, c.segment)
        for c in report.customers
    }
    # Six buyers: score = 1 + floor(5 * (2 * below + equal) / 12).
    assert got == {
        "ann": (10, 3, m("355.00"), "455", RfmSegment.LOYAL),
        "bob": (9, 3, m("115.00"), "553", RfmSegment.CHAMPIONS),  # 365 less the book
        "cat": (20, 1, m("95.00"), "223", RfmSegment.HIBERNATING),  # December is after
        "dan": (18, 1, m("10.00"), "322", RfmSegment.HIBERNATING),
        "eve": (18, 1, m("250.00"), "324", RfmSegment.HIBERNATING),
        "fay": (43, 1, m("0.00"), "121", RfmSegment.LOST),  # bought Oct 18, gave it back
    }
    assert [c.customer_id for c in report.customers] == sorted(ids.values())
    assert report.segments == (
        RfmSegmentTotals(RfmSegment.CHAMPIONS, 1, 3, m("115.00")),
        RfmSegmentTotals(RfmSegment.LOYAL, 1, 3, m("355.00")),
        RfmSegmentTotals(RfmSegment.POTENTIAL_LOYALISTS, 0, 0, m("0.00")),
        RfmSegmentTotals(RfmSegment.NEW, 0, 0, m("0.00")),
        RfmSegmentTotals(RfmSegment.AT_RISK, 0, 0, m("0.00")),
        RfmSegmentTotals(RfmSegment.CANT_LOSE_THEM, 0, 0, m("0.00")),
        RfmSegmentTotals(RfmSegment.HIBERNATING, 3, 3, m("355.00")),
        RfmSegmentTotals(RfmSegment.LOST, 1, 1, m("0.00")),
    )
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert rows[0] == {"segment": "Champions", "customers": "1", "sales": "3", "monetary": "115.00"}
    assert json.loads(report.to_json())["report"] == "RFM segments 2025-12-01 to 2026-11-30"


def test_the_rfm_window_is_the_days_up_to_and_including_as_of(shop: Shop) -> None:
    store, ids = shop
    reports = CustomerReports(store)
    month = {c.customer_id: c for c in reports.rfm(date(2026, 11, 30), days=30).customers}
    assert ids["fay"] not in month  # only her return falls in November
    assert (month[ids["ann"]].frequency, month[ids["ann"]].monetary) == (2, m("105.00"))
    same_day = reports.rfm(date(2026, 11, 22), days=1)
    assert same_day.customers == ()  # only an anonymous sale that day
    assert reports.rfm(date(2026, 11, 21), days=1).customers[0].recency == 0  # bob, that day


# ---- demographics ----------------------------------------------------------------------


def groups(report: object) -> list[tuple[str, int, int, Money]]:
    return [(g.group, g.customers, g.sales, g.total) for g in report.groups]  # type: ignore[attr-defined]


def test_age_bands_with_every_group_shown(erased: Shop) -> None:
    store, _ = erased
    report = CustomerReports(store).demographics(NOV, DEC, k=1)
    assert groups(report) == [
        ("25-34", 1, 3, m("115.00")),  # bob, 26 in 2026
        ("35-44", 1, 2, m("105.00")),  # ann, 36
        ("65+", 1, 1, m("95.00")),  # cat, 76
        ("Unknown", 3, 2, m("165.00")),  # dan, fay (no birth year), eve (erased)
    ]
    assert (report.suppressed, report.customers) == (0, 6)


def test_small_age_bands_are_merged_into_other(erased: Shop) -> None:
    store, _ = erased
    reports = CustomerReports(store)
    for k in (2, 3):
        assert groups(reports.demographics(NOV, DEC, k=k)) == [
            ("Unknown", 3, 2, m("165.00")),
            ("Other", 3, 6, m("315.00")),  # bob, ann and cat: 115 + 105 + 95
        ]
    everyone = [("Other", 6, 8, m("480.00"))]  # every identified customer's November
    assert groups(reports.demographics(NOV, DEC, k=4)) == everyone
    assert groups(reports.demographics(NOV, DEC)) == everyone  # k=5 by default
    assert groups(reports.demographics(NOV, DEC, k=6)) == everyone


def test_too_few_customers_in_all_shows_only_the_suppressed_count(erased: Shop) -> None:
    store, _ = erased
    report = CustomerReports(store).demographics(NOV, DEC, k=7)
    assert (report.groups, report.suppressed, report.customers) == ((), 6, 6)
    assert list(csv.DictReader(io.StringIO(report.to_csv()))) == [
        {"group": "suppressed", "customers": "6", "sales": "", "total": ""}
    ]
    december = CustomerReports(store).demographics(DEC, JAN)  # cat alone
    assert (december.groups, december.suppressed) == ((), 1)


def test_areas_are_normalised_postcode_prefixes(erased: Shop) -> None:
    store, _ = erased
    reports = CustomerReports(store)
    assert groups(reports.demographics(NOV, DEC, by="area", k=1)) == [
        ("010", 3, 5, m("125.00")),  # ann "01001", bob "01 034", fay "01 055" (-95)
        ("021", 1, 1, m("95.00")),  # cat
        ("Unknown", 2, 2, m("260.00")),  # dan (no postcode), eve (erased)
    ]
    # 021 alone is below 2, so Other would be cat alone: the smallest shown
    # group (Unknown, 2) joins it, and 010 stays.
    assert groups(reports.demographics(NOV, DEC, by="area", k=2)) == [
        ("010", 3, 5, m("125.00")),
        ("Other", 3, 3, m("355.00")),
    ]
    one = reports.demographics(NOV, DEC, by="area", k=2, area_digits=1)
    assert groups(one) == [("0", 4, 6, m("220.00")), ("Unknown", 2, 2, m("260.00"))]
    # Unknown (2) is below 3 and so is Other with it alone: "0" joins, nothing is shown apart.
    three = reports.demographics(NOV, DEC, by="area", k=3, area_digits=1)
    assert groups(three) == [("Other", 6, 8, m("480.00"))]


def test_an_erased_customer_counts_as_unknown(shop: Shop) -> None:
    store, ids = shop
    reports = CustomerReports(store)
    before_age = groups(reports.demographics(NOV, DEC, k=1))
    before_area = groups(reports.demographics(NOV, DEC, by="area", k=1))
    assert ("25-34", 2, 4, m("365.00")) in before_age  # bob and eve
    assert ("Unknown", 2, 1, m("-85.00")) in before_age  # dan and fay
    assert before_area[0] == ("010", 4, 6, m("375.00"))  # eve's "01-010" is 010
    store.loyalty.customers.erase(ids["eve"])
    assert ("25-34", 1, 3, m("115.00")) in groups(reports.demographics(NOV, DEC, k=1))
    assert groups(reports.demographics(NOV, DEC, by="area", k=1))[-1] == (
        "Unknown",
        2,
        2,
        m("260.00"),
    )
    # Her receipts still count for her id: she is still a new customer of November.
    assert reports.new_vs_returning(NOV, DEC).new.customers == 4


def test_demographics_render_as_text_csv_and_json(erased: Shop) -> None:
    store, _ = erased
    report = CustomerReports(store).demographics(NOV, DEC, k=2)
    assert report.as_text().splitlines()[0] == (
        "Customers by age band 2026-11-01 to 2026-12-01, groups of 2+"
    )
    assert json.loads(report.to_json())["rows"] == [
        {"group": "Unknown", "customers": 3, "sales": 2, "total": "165.00"},
        {"group": "Other", "customers": 3, "sales": 6, "total": "315.00"},
    ]
    assert [DemographicGroup("Unknown", 3, 2, m("165.00"))] == list(report.groups[:1])


# ---- bad input -------------------------------------------------------------------------


def test_bad_inputs_say_what_to_do(shop: Shop) -> None:
    store, _ = shop
    reports = CustomerReports(store)
    with pytest.raises(ReportError, match="start < end"):
        reports.new_vs_returning(DEC, NOV)
    with pytest.raises(ReportError, match="start < end"):
        reports.visit_frequency(NOV, NOV)
    with pytest.raises(ReportError, match="k must be a whole number of at least 1, got 0; use 5"):
        reports.demographics(NOV, DEC, k=0)
    with pytest.raises(ReportError, match=r"area_digits must be .* at least 1, got 0; e.g. 3"):
        reports.demographics(NOV, DEC, by="area", area_digits=0)
    with pytest.raises(ReportError, match="'age_band' or 'area', not 'gender'"):
        reports.demographics(NOV, DEC, by="gender")  # type: ignore[arg-type]
    with pytest.raises(ReportError, match=r"days must be .* at least 1, got 0"):
        reports.rfm(date(2026, 11, 30), days=0)
    with pytest.raises(ReportError, match="RFM scores run 1 to 5"):
        RfmSegment.for_scores(0, 3)


def test_every_customer_report_narrows_to_a_till_or_a_cashier(shop: Shop) -> None:
    store, ids = shop
    reports = CustomerReports(store)
    whole = reports.new_vs_returning(NOV, DEC)
    till2 = store.register("till-2").open_session(operator=SUPERVISOR.id)
    sale = till2.new_sale()
    sale.add("PEN")
    sale.identify_customer(ids["ann"])
    sale.pay("cash")
    sale.complete()  # Dec 2 by the clock: outside November
    assert reports.new_vs_returning(NOV, DEC, register_id="till-1") == whole
    assert reports.new_vs_returning(NOV, DEC, register_id="till-2").overall.sales == 0
    december = (DEC, date(2027, 1, 1))
    at_till2 = reports.new_vs_returning(*december, register_id="till-2")
    # ann first bought in October (at till-1): at till-2 she is returning, not new
    assert (at_till2.new.customers, at_till2.returning.customers) == (0, 1)
    assert reports.visit_frequency(*december, operator_id=SUPERVISOR.id).customers == 1
    assert reports.visit_frequency(*december, operator_id=CASHIER.id).customers == 1  # cat
    assert len(reports.rfm(date(2026, 12, 31), register_id="till-2").customers) == 1
    assert reports.demographics(*december, k=1, register_id="till-2").customers == 1
