"""RegisterReport as JSON, CSV and text: documented keys, exact amounts, round trips, widths,
and the grand totals a host with a journal gives."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Money, RegisterReport, Store, TenderKind
from possdk.core import TaxLine, TaxRate, TenderTotal
from possdk.errors import ReportError
from tests.conftest import CASHIER, START, SUPERVISOR, make_catalog
from tests.strategies import MINOR

SESSION = uuid.UUID("01a21bcd-e8a8-728f-9c22-3b749bb38bc0")
KYIV = timezone(timedelta(hours=2))

# The documented keys of RegisterReport.to_json(), in their documented order.
JSON_KEYS = [
    "format",
    "version",
    "is_final",
    "number",
    "register_id",
    "session_id",
    "operator_id",
    "operator_name",
    "currency",
    "timezone",
    "opened_at",
    "at",
    "sale_count",
    "sales",
    "discounts",
    "return_count",
    "returns",
    "net_sales",
    "void_count",
    "voided_total",
    "voided_line_count",
    "tax_breakdown",
    "tenders",
    "opening_float",
    "cash_sales",
    "cash_refunds",
    "paid_in",
    "paid_out",
    "cash_rounding",
    "expected_cash",
    "counted_cash",
    "variance",
    "counted_denominations",
    "gift_cards_sold_count",
    "gift_cards_sold",
    "gift_cards_redeemed_count",
    "gift_cards_redeemed",
    "grand_total_sales",
    "grand_total_returns",
    "no_sale_count",
    "approval_count",
]


def report(code: str = "UAH", **changes: Any) -> RegisterReport:
    """A Z report with amounts kept at odd exponents ("771", "0"), as real ones can be."""

    def m(v: str) -> Money:
        return Money(v, code)

    base = RegisterReport(
        is_final=True,
        number=7,
        register_id="till-1",
        session_id=SESSION,
        operator_id="olena",
        operator_name="Olena Kovalenko, senior",
        currency=code,
        opened_at=datetime(2026, 11, 27, 9, 0, tzinfo=KYIV),
        at=datetime(2026, 11, 27, 17, 0, 5, 250, tzinfo=KYIV),
        sale_count=3,
        sales=m("1043.4"),
        discounts=m("9"),
        return_count=1,
        returns=m("132.50"),
        net_sales=m("910.90"),
        void_count=1,
        voided_total=m("8.01"),
        voided_line_count=2,
        tax_breakdown=(
            TaxLine(TaxRate("VAT20", "20", name="VAT"), m("307.50"), m("61.50")),
            TaxLine(TaxRate("QST", "9.975", name="QST", compound=True), m("10"), m("1.00")),
        ),
        tenders=(
            TenderTotal(TenderKind.CASH, 3, m("669")),
            TenderTotal(TenderKind.GIFT_CARD, 2, m("141.90")),
        ),
        opening_float=m("500"),
        cash_sales=m("769.00"),
        cash_refunds=m("100.00"),
        paid_in=m("50"),
        paid_out=m("20"),
        cash_rounding=m("-0.05"),
        expected_cash=m("1199"),
        counted_cash=m("771"),
        variance=m("-428.00"),
        counted_denominations=((Decimal("500"), 1), (Decimal("0.50"), 2)),
        no_sale_count=1,
        approval_count=4,
        timezone="Europe/Kyiv",
        gift_cards_sold_count=1,
        gift_cards_sold=m("500"),
        gift_cards_redeemed_count=2,
        gift_cards_redeemed=m("141.90"),
        grand_total_sales=m("123456.78"),
        grand_total_returns=m("0"),
    )
    return attrs.evolve(base, **changes)


# ---- JSON ------------------------------------------------------------------------------


def test_json_has_the_documented_keys_in_order_with_exact_amounts_and_utc_times() -> None:
    data = json.loads(report().to_json())
    assert list(data) == JSON_KEYS
    # Every attribute is there: a figure added to the report and forgotten here fails.
    assert set(JSON_KEYS) - {"format", "version"} == set(attrs.fields_dict(RegisterReport))
    assert (data["format"], data["version"]) == ("possdk.register-report", 1)
    assert (data["is_final"], data["number"], data["session_id"]) == (True, 7, str(SESSION))
    # Amounts carry the currency's two places, whatever exponent the Decimal had.
    assert (data["sales"], data["discounts"], data["counted_cash"]) == ("1043.40", "9.00", "771.00")
    assert (data["grand_total_returns"], data["cash_rounding"]) == ("0.00", "-0.05")
    # Times in UTC, to the microsecond.
    assert data["opened_at"] == "2026-11-27T07:00:00Z"
    assert data["at"] == "2026-11-27T15:00:05.000250Z"
    assert data["tax_breakdown"] == [
        {
            "code": "VAT20",
            "name": "VAT",
            "percent": "20",
            "compound": False,
            "net": "307.50",
            "tax": "61.50",
            "gross": "369.00",
        },
        {
            "code": "QST",
            "name": "QST",
            "percent": "9.975",
            "compound": True,
            "net": "10.00",
            "tax": "1.00",
            "gross": "11.00",
        },
    ]
    assert data["tenders"] == [
        {"kind": "cash", "count": 3, "amount": "669.00"},
        {"kind": "gift_card", "count": 2, "amount": "141.90"},
    ]
    assert data["counted_denominations"] == [
        {"value": "500.00", "count": 1, "amount": "500.00"},
        {"value": "0.50", "count": 2, "amount": "1.00"},
    ]
    # No float anywhere: every amount is a string.
    assert all(not isinstance(v, float) for v in data.values())


def test_json_of_an_x_report_has_nulls_and_the_same_keys() -> None:
    x = report(
        is_final=False,
        number=None,
        counted_cash=None,
        variance=None,
        counted_denominations=(),
        grand_total_sales=None,
        grand_total_returns=None,
    )
    data = json.loads(x.to_json())
    assert list(data) == JSON_KEYS
    assert [data[k] for k in ("number", "counted_cash", "variance", "grand_total_sales")] == [
        None
    ] * 4
    assert data["counted_denominations"] == []
    assert RegisterReport.from_json(x.to_json()) == x


@pytest.mark.parametrize(
    ("code", "amount", "shown"), [("JPY", "1500", "1500"), ("KWD", "1.5", "1.500")]
)
def test_json_amounts_follow_the_currency_exponent(code: str, amount: str, shown: str) -> None:
    r = report(code, tax_breakdown=(), sales=Money(amount, code))
    data = json.loads(r.to_json())
    assert data["sales"] == shown and data["currency"] == code
    assert RegisterReport.from_json(r.to_json()) == r


def test_json_never_rounds_an_amount_finer_than_the_currency() -> None:
    data = json.loads(report(discounts=Money("0.125", "UAH")).to_json())
    assert data["discounts"] == "0.125"


def test_json_round_trips_and_is_stable() -> None:
    r = report()
    text = r.to_json()
    back = RegisterReport.from_json(text)
    assert back == r
    assert back.to_json() == text  # the same report, the same bytes
    assert back.at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "expected a JSON object with format"),
        ('{"format": "something-else"}', "format"),
        ('{"format": "possdk.register-report", "version": 2}', "version 2 is not supported"),
    ],
)
def test_from_json_refuses_what_is_not_a_report(text: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        RegisterReport.from_json(text)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sales", None, r"'sales' is None"),
        ("sales", 12.5, r"'sales' is 12\.5"),  # a float is refused, not rounded
        ("sale_count", "3", "expected an integer"),
        ("opened_at", "2026-11-27T07:00:00", "UTC offset"),
        ("currency", "XXX1", "currency"),
    ],
)
def test_from_json_names_a_bad_figure(key: str, value: object, message: str) -> None:
    data = json.loads(report().to_json())
    data[key] = value
    with pytest.raises(ReportError, match=message):
        RegisterReport.from_json(json.dumps(data))


def test_from_json_names_a_missing_figure() -> None:
    data = json.loads(report().to_json())
    del data["gift_cards_sold"]
    with pytest.raises(ReportError, match="has no 'gift_cards_sold'"):
        RegisterReport.from_json(json.dumps(data))
    data = json.loads(report().to_json())
    del data["tenders"][0]["count"]
    with pytest.raises(ReportError, match="a tenders row has no 'count'"):
        RegisterReport.from_json(json.dumps(data))


# ---- CSV -------------------------------------------------------------------------------


def csv_rows(r: RegisterReport) -> list[dict[str, str]]:
    text = r.to_csv()
    assert text.splitlines()[0] == "section,item,key,value"
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_is_one_figure_a_row_with_the_json_values() -> None:
    r = report()
    rows = csv_rows(r)
    where = [(row["section"], row["item"], row["key"]) for row in rows]
    assert len(where) == len(set(where))  # each figure once
    data = json.loads(r.to_json())
    scalars = {row["key"]: row["value"] for row in rows if not row["item"]}
    for key, value in data.items():
        if key in ("format", "version") or isinstance(value, list):
            continue
        expected = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        assert scalars.pop(key) == str(expected), key
    assert scalars == {}
    by_item = {(row["section"], row["item"], row["key"]): row["value"] for row in rows}
    assert by_item["tax", "VAT20", "net"] == "307.50"
    assert by_item["tax", "VAT20", "gross"] == "369.00"
    assert by_item["tax", "QST", "compound"] == "true"
    assert by_item["tenders", "gift_card", "count"] == "2"
    assert by_item["tenders", "cash", "amount"] == "669.00"
    assert by_item["denominations", "0.50", "amount"] == "1.00"
    assert by_item["report", "", "operator_name"] == "Olena Kovalenko, senior"  # quoted, whole
    sections = list(dict.fromkeys(row["section"] for row in rows))
    assert sections == [
        "report",
        "sales",
        "tax",
        "tenders",
        "cash",
        "denominations",
        "gift_cards",
        "grand_totals",
        "activity",
    ]


def test_csv_leaves_figures_a_report_does_not_have_empty() -> None:
    rows = csv_rows(report(counted_cash=None, variance=None, grand_total_sales=None))
    values = {row["key"]: row["value"] for row in rows if not row["item"]}
    assert values["counted_cash"] == values["variance"] == values["grand_total_sales"] == ""


# ---- text ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [32, 42, 48])
@pytest.mark.parametrize("locale", ["en_US", "uk_UA"])
def test_text_never_exceeds_the_width(width: int, locale: str) -> None:
    big = Money("123456789.99", "UAH")
    r = report(
        register_id="a-register-with-a-very-long-name-indeed",
        sales=big,
        grand_total_sales=big,
        gift_cards_sold=big,
        gift_cards_redeemed_count=1234,
        tenders=(TenderTotal(TenderKind.STORE_CREDIT, 99999, big),),
    )
    text = r.as_text(width=width, locale=locale)
    assert all(len(line) <= width for line in text.splitlines())
    assert "(1234)" in text  # a label too long for the line wraps: its count is not cut off
    assert "(99999)" in text
    if locale == "en_US":
        assert text.count("123,456,789.99") == 4


def test_text_shows_gift_cards_and_grand_totals_only_when_there_are_some() -> None:
    text = report().as_text(width=42)
    lines = text.splitlines()
    assert "Gift cards sold (1)                 500.00" in lines
    assert "Gift cards redeemed (2)             141.90" in lines
    assert "Grand total sales               123,456.78" in lines
    assert "Grand total returns                   0.00" in lines
    zero = Money("0", "UAH")
    quiet = report(
        gift_cards_sold_count=0,
        gift_cards_sold=zero,
        gift_cards_redeemed_count=0,
        gift_cards_redeemed=zero,
        grand_total_sales=None,
        grand_total_returns=None,
    ).as_text(width=42)
    assert "Gift cards" not in quiet and "Grand total" not in quiet
    assert len(quiet.splitlines()) == len(lines) - 6  # two rows and a rule each


# ---- grand totals from a host that keeps a journal ----------------------------------


class JournalStore(Store):
    """A Store offering its journal's grand totals (what the report asks a host for)."""

    def grand_totals(self, register_id: str) -> tuple[Money, Money]:
        heads = self._read(lambda uow: uow.journal_heads())
        _, _, sales, returns = heads.get(register_id, (0, "", 0, 0))
        code = self.settings.currency
        return Money.from_minor(sales, code), Money.from_minor(returns, code)


def test_reports_show_grand_totals_when_the_host_offers_them() -> None:
    from possdk import FixedClock, Settings

    store = JournalStore.create(
        Settings(currency="UAH"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        clock=FixedClock(START, step=timedelta(seconds=1)),
        load_entry_points=False,
    )
    session = store.register("till-1").open_session(operator="cashier", opening_float="0")
    assert session.x_report().grand_total_sales == Money("0", "UAH")
    sale = session.new_sale()
    sale.add("COFFEE")
    sale.pay("cash")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    ret.refund("cash")
    ret.complete()
    z1 = session.close(counted_cash="0")
    assert (z1.grand_total_sales, z1.grand_total_returns) == (
        Money("189.00", "UAH"),
        Money("189.00", "UAH"),
    )
    assert (z1.sales, z1.returns) == (Money("189.00", "UAH"), Money("189.00", "UAH"))

    session = store.register("till-1").open_session(operator="cashier", opening_float="0")
    sale = session.new_sale()
    sale.add("BREAD")
    sale.pay("card")
    sale.complete()
    z2 = session.close(counted_cash="0")
    assert (z2.sales, z2.returns) == (Money("32.50", "UAH"), Money("0", "UAH"))
    assert (z2.grand_total_sales, z2.grand_total_returns) == (
        Money("221.50", "UAH"),
        Money("189.00", "UAH"),
    )
    text = z2.as_text(width=32)
    assert "Grand total sales         221.50" in text.splitlines()
    assert store.z_reports() == (z1, z2)  # kept with their grand totals
    other = store.register("till-2").open_session(operator="cashier")
    assert other.x_report().grand_total_sales == Money("0", "UAH")  # per register
    store.close()


# ---- any report ------------------------------------------------------------------------


@st.composite
def reports(draw: st.DrawFn) -> RegisterReport:
    code = draw(st.sampled_from(["UAH", "JPY", "KWD", "EUR"]))

    def m() -> Money:
        return Money(Decimal(draw(st.integers(-(10**9), 10**9))).scaleb(-MINOR[code]), code)

    def maybe() -> Money | None:
        return m() if draw(st.booleans()) else None

    kinds = draw(st.lists(st.sampled_from(TenderKind), unique=True, max_size=4))
    moments = st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone.utc, KYIV, timezone(timedelta(hours=-5))]),
    )
    counts = st.integers(0, 10**6)
    return RegisterReport(
        is_final=draw(st.booleans()),
        number=draw(st.none() | st.integers(1, 10**6)),
        register_id=draw(st.text(min_size=1, max_size=12)),
        session_id=uuid.UUID(int=draw(st.integers(0, 2**128 - 1))),
        operator_id=draw(st.text(max_size=8)),
        operator_name=draw(st.text(max_size=20)),
        currency=code,
        opened_at=draw(moments),
        at=draw(moments),
        sale_count=draw(counts),
        sales=m(),
        discounts=m(),
        return_count=draw(counts),
        returns=m(),
        net_sales=m(),
        void_count=draw(counts),
        voided_total=m(),
        voided_line_count=draw(counts),
        tax_breakdown=tuple(
            TaxLine(TaxRate(f"R{i}", draw(st.sampled_from(["0", "7", "20", "9.975"]))), m(), m())
            for i in range(draw(st.integers(0, 3)))
        ),
        tenders=tuple(TenderTotal(k, draw(counts), m()) for k in kinds),
        opening_float=m(),
        cash_sales=m(),
        cash_refunds=m(),
        paid_in=m(),
        paid_out=m(),
        cash_rounding=m(),
        expected_cash=m(),
        counted_cash=maybe(),
        variance=maybe(),
        counted_denominations=tuple(
            (Decimal(draw(st.integers(1, 100_000))).scaleb(-MINOR[code]), draw(counts))
            for _ in range(draw(st.integers(0, 3)))
        ),
        no_sale_count=draw(counts),
        approval_count=draw(counts),
        timezone=draw(st.sampled_from(["UTC", "Europe/Kyiv"])),
        gift_cards_sold_count=draw(st.integers(-100, 100)),
        gift_cards_sold=m(),
        gift_cards_redeemed_count=draw(st.integers(-100, 100)),
        gift_cards_redeemed=m(),
        grand_total_sales=maybe(),
        grand_total_returns=maybe(),
    )


@given(r=reports())
def test_any_report_round_trips_through_json_and_its_csv_holds_every_figure(
    r: RegisterReport,
) -> None:
    text = r.to_json()
    assert RegisterReport.from_json(text) == r
    data = json.loads(text)
    rows = list(csv.DictReader(io.StringIO(r.to_csv())))
    assert len(rows) == (
        len(data)
        - 5  # format, version and the three lists...
        + 6 * len(r.tax_breakdown)  # ...whose objects give a row per figure
        + 2 * len(r.tenders)
        + 2 * len(r.counted_denominations)
    )
    for row in rows:
        if row["key"] in ("sales", "amount", "net"):  # amounts, in the currency's places
            _, _, places = row["value"].partition(".")
            assert len(places) == MINOR[r.currency], row
