"""Register reports: X (any time) and Z (at close, numbered, final), as text, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

import attrs

from possdk.core._decimal import EXACT, EXACT_ROUNDING
from possdk.core._money import Money, currency
from possdk.core._pricing import TaxLine
from possdk.core._tax import TaxRate
from possdk.core._tender import TenderKind
from possdk.errors import PossdkError, ReportError

__all__ = ["RegisterReport", "TenderTotal"]

# The "format" and "version" keys of RegisterReport.to_json(): the version goes up when a
# key changes meaning or goes away.
_FORMAT = "possdk.register-report"
_VERSION = 1


@attrs.frozen
class TenderTotal:
    """How much was taken (or paid out) in one kind of tender, and how often."""

    kind: TenderKind
    """The tender kind."""
    count: int
    """Number of tenders."""
    amount: Money
    """Net amount: takings minus refunds."""


class _HasCurrency(Protocol):
    currency: str


def zero_in_currency(value: _HasCurrency) -> Money:
    """A default for figures added after reports and totals were first kept.

    A report or a session's totals read back from before had none of them:
    zero in its own currency.
    """
    return Money.zero(value.currency)


@attrs.frozen
class RegisterReport:
    """An X report (any time, not final) or a Z report (at close, numbered, final).

    Every amount is in the session's currency. ``net_sales == sales - returns``
    and ``expected_cash == opening_float + cash_sales - cash_refunds + paid_in - paid_out``.

    Renderers: :meth:`as_text` for the receipt printer (32, 42 or 48 columns),
    :meth:`to_json` and :meth:`to_csv` for other programs and the accountant;
    :meth:`from_json` reads the JSON back.
    """

    is_final: bool
    """True for a Z report."""
    number: int | None
    """The Z report number (per register), None for an X report."""
    register_id: str
    """The register."""
    session_id: uuid.UUID
    """The session."""
    operator_id: str
    """Who opened the session."""
    operator_name: str
    """Their name."""
    currency: str
    """The currency."""
    opened_at: datetime
    """When the session opened."""
    at: datetime
    """When the report was taken (for a Z report, when the session closed)."""
    sale_count: int
    """Completed sales."""
    sales: Money
    """Their totals."""
    discounts: Money
    """Discounts given on them."""
    return_count: int
    """Completed returns."""
    returns: Money
    """What was refunded (positive)."""
    net_sales: Money
    """``sales - returns``."""
    void_count: int
    """Sales voided before completion."""
    voided_total: Money
    """What the voided sales came to."""
    voided_line_count: int
    """Lines voided on completed sales."""
    tax_breakdown: tuple[TaxLine, ...]
    """Net and tax per rate over sales and returns."""
    tenders: tuple[TenderTotal, ...]
    """Per tender kind."""
    opening_float: Money
    """Cash in the drawer at the start."""
    cash_sales: Money
    """Cash taken on sales (after change)."""
    cash_refunds: Money
    """Cash paid out on returns (positive)."""
    paid_in: Money
    """Cash paid into the drawer outside sales."""
    paid_out: Money
    """Cash paid out of the drawer outside sales."""
    cash_rounding: Money
    """Net cash rounding (positive: customers paid a little more)."""
    expected_cash: Money
    """What should be in the drawer."""
    counted_cash: Money | None = None
    """What was counted at close (Z only)."""
    variance: Money | None = None
    """``counted_cash - expected_cash``: negative means cash is missing."""
    counted_denominations: tuple[tuple[Decimal, int], ...] = ()
    """The count by note and coin, when it was given that way."""
    no_sale_count: int = 0
    """Drawer opens without a sale."""
    approval_count: int = 0
    """Supervisor approvals taken."""
    timezone: str = "UTC"
    """The shop's IANA time zone, for showing times."""
    gift_cards_sold_count: int = 0
    """Gift card lines sold (sales and reloads) minus gift card lines returned."""
    gift_cards_sold: Money = attrs.field(default=attrs.Factory(zero_in_currency, takes_self=True))
    """What was put on gift cards through sales, less what returns took back off them.

    Part of :attr:`sales` (a gift card line is sold like any other, untaxed).
    """
    gift_cards_redeemed_count: int = 0
    """Gift card tenders taken minus refunds made onto a gift card."""
    gift_cards_redeemed: Money = attrs.field(
        default=attrs.Factory(zero_in_currency, takes_self=True)
    )
    """What was paid with gift cards, net of refunds onto a gift card.

    The same amount as the gift card row of :attr:`tenders`.
    """
    grand_total_sales: Money | None = None
    """The register's perpetual total of sales when the report was taken (never reset).

    It is the journal's ``gt_sales_minor`` at the register's journal head;
    None when the report's host keeps no journal (or for a report kept before
    grand totals were reported).
    """
    grand_total_returns: Money | None = None
    """The register's perpetual total of returns (positive), like :attr:`grand_total_sales`."""

    def as_text(self, *, width: int = 42, locale: str = "en_US") -> str:
        """Render for the receipt printer or a screen (32/42/48 columns)."""
        from possdk.core._text import render_report

        return render_report(self, width=width, locale=locale)

    def to_json(self) -> str:
        """The report as JSON for other programs (the keys are documented in the register docs).

        One object: ``format`` (``"possdk.register-report"``) and ``version``
        (``1``), then every attribute of the report under its own name.
        Amounts are decimal strings with the currency's minor units
        (``"599.50"``, ``"0.00"``), times ISO 8601 in UTC (``...Z``), and
        ``tax_breakdown``, ``tenders`` and ``counted_denominations`` are lists
        of objects. The same report always gives the same text.
        """
        return json.dumps(_to_dict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> RegisterReport:
        """Read a report back from :meth:`to_json` output.

        Raises:
            ReportError: the text is not JSON, not a register report, of an
                unknown format version, or misses a figure.
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReportError(f"not a register report: the text is not JSON ({exc})") from exc
        return _from_dict(data)

    def to_csv(self) -> str:
        """The report as CSV in long form, one figure a row: ``section,item,key,value``.

        ``section`` groups the figures (``report``, ``sales``, ``tax``,
        ``tenders``, ``cash``, ``denominations``, ``gift_cards``,
        ``grand_totals``, ``activity``); ``item`` names the tax rate, tender
        kind or denomination a row belongs to (empty otherwise); ``key`` is
        the figure, named as in :meth:`to_json`; ``value`` is written as in
        the JSON (amounts with the currency's minor units, empty for none).
        Lines end with CRLF, as RFC 4180 and spreadsheets have it.
        """
        out = io.StringIO()
        writer = csv.writer(out)  # RFC 4180: CRLF, and a field with a line break is quoted
        writer.writerow(("section", "item", "key", "value"))
        writer.writerows(_csv_rows(self))
        return out.getvalue()


# ---- JSON and CSV -----------------------------------------------------------------


def _amount(value: Decimal, code: str) -> str:
    """An amount as a plain decimal string with the currency's minor units."""
    quantum = currency(code).quantum
    exact = value.quantize(quantum, context=EXACT_ROUNDING)
    # Report figures are whole minor units; anything finer is written in full, never rounded.
    return format(exact if exact == value else value, "f")


def _money_text(value: Money | None) -> str | None:
    return None if value is None else _amount(value.amount, value.currency)


def _time_text(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _scalars(report: RegisterReport, keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    for key in keys:
        value = getattr(report, key)
        if key in _MONEY_KEYS or key in _OPTIONAL_MONEY_KEYS:
            yield key, _money_text(value)
        elif isinstance(value, datetime):
            yield key, _time_text(value)
        elif isinstance(value, uuid.UUID):
            yield key, str(value)
        else:
            yield key, value


# The scalar figures by section, in the order both forms list them.
_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "report",
        (
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
        ),
    ),
    (
        "sales",
        (
            "sale_count",
            "sales",
            "discounts",
            "return_count",
            "returns",
            "net_sales",
            "void_count",
            "voided_total",
            "voided_line_count",
        ),
    ),
    (
        "cash",
        (
            "opening_float",
            "cash_sales",
            "cash_refunds",
            "paid_in",
            "paid_out",
            "cash_rounding",
            "expected_cash",
            "counted_cash",
            "variance",
        ),
    ),
    (
        "gift_cards",
        (
            "gift_cards_sold_count",
            "gift_cards_sold",
            "gift_cards_redeemed_count",
            "gift_cards_redeemed",
        ),
    ),
    ("grand_totals", ("grand_total_sales", "grand_total_returns")),
    ("activity", ("no_sale_count", "approval_count")),
)
_MONEY_KEYS = frozenset(
    {
        "sales",
        "discounts",
        "returns",
        "net_sales",
        "voided_total",
        "opening_float",
        "cash_sales",
        "cash_refunds",
        "paid_in",
        "paid_out",
        "cash_rounding",
        "expected_cash",
        "gift_cards_sold",
        "gift_cards_redeemed",
    }
)
_OPTIONAL_MONEY_KEYS = frozenset(
    {"counted_cash", "variance", "grand_total_sales", "grand_total_returns"}
)
_COUNT_KEYS = frozenset(
    {
        "number",
        "sale_count",
        "return_count",
        "void_count",
        "voided_line_count",
        "no_sale_count",
        "approval_count",
        "gift_cards_sold_count",
        "gift_cards_redeemed_count",
    }
)


def _tax_rows(report: RegisterReport) -> list[dict[str, Any]]:
    code = report.currency
    return [
        {
            "code": line.rate.code,
            "name": line.rate.name,
            "percent": format(line.rate.percent, "f"),
            "compound": line.rate.compound,
            "net": _amount(line.net.amount, code),
            "tax": _amount(line.tax.amount, code),
            "gross": _amount(line.gross.amount, code),
        }
        for line in report.tax_breakdown
    ]


def _tender_rows(report: RegisterReport) -> list[dict[str, Any]]:
    return [
        {
            "kind": t.kind.value,
            "count": t.count,
            "amount": _amount(t.amount.amount, t.amount.currency),
        }
        for t in report.tenders
    ]


def _denomination_rows(report: RegisterReport) -> list[dict[str, Any]]:
    code = report.currency
    return [
        {
            "value": _amount(face, code),
            "count": count,
            "amount": _amount(EXACT.multiply(face, count), code),
        }
        for face, count in report.counted_denominations
    ]


def _to_dict(report: RegisterReport) -> dict[str, Any]:
    data: dict[str, Any] = {"format": _FORMAT, "version": _VERSION}
    for section, keys in _SECTIONS:
        data.update(_scalars(report, keys))
        if section == "sales":
            data["tax_breakdown"] = _tax_rows(report)
            data["tenders"] = _tender_rows(report)
        elif section == "cash":
            data["counted_denominations"] = _denomination_rows(report)
    return data


def _csv_rows(report: RegisterReport) -> Iterator[tuple[str, str, str, str]]:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    for section, keys in _SECTIONS:
        for key, value in _scalars(report, keys):
            yield section, "", key, cell(value)
        if section == "sales":
            for row in _tax_rows(report):
                for key in ("name", "percent", "compound", "net", "tax", "gross"):
                    yield "tax", row["code"], key, cell(row[key])
            for row in _tender_rows(report):
                yield "tenders", row["kind"], "count", cell(row["count"])
                yield "tenders", row["kind"], "amount", row["amount"]
        elif section == "cash":
            for row in _denomination_rows(report):
                yield "denominations", row["value"], "count", cell(row["count"])
                yield "denominations", row["value"], "amount", row["amount"]


class _Reader:
    """Reads the fields of one JSON object, naming what is wrong."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data, self.where = data, where

    def get(self, key: str, parse: Callable[[Any], Any]) -> Any:
        if key not in self.data:
            raise ReportError(f"register report JSON: {self.where} has no {key!r}")
        try:
            return parse(self.data[key])
        except (PossdkError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
            raise ReportError(
                f"register report JSON: {self.where} {key!r} is {self.data[key]!r}: {exc}"
            ) from exc


def _parse_time(value: str) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 string")
    parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    if parsed.tzinfo is None:
        raise ValueError("a time needs its UTC offset")
    return parsed


def _parse_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _parse_decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise TypeError("expected a decimal string")
    return Decimal(value)


def _list_of(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TypeError("expected a list of objects")
    return value


def _from_dict(data: Any) -> RegisterReport:
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ReportError(
            f"not a register report: expected a JSON object with format {_FORMAT!r} "
            f"(RegisterReport.to_json() output)"
        )
    if data.get("version") != _VERSION:
        raise ReportError(
            f"register report JSON version {data.get('version')!r} is not supported "
            f"(this possdk reads version {_VERSION}); upgrade possdk"
        )
    top = _Reader(data, "the report")
    code = top.get("currency", lambda v: currency(_parse_str(v)).code)

    def money(value: Any) -> Money:
        return Money(_parse_decimal(value), code)

    def optional_money(value: Any) -> Money | None:
        return None if value is None else money(value)

    def tax_line(item: Mapping[str, Any]) -> TaxLine:
        row = _Reader(item, "a tax_breakdown row")
        rate = TaxRate(
            row.get("code", _parse_str),
            row.get("percent", _parse_decimal),
            name=row.get("name", _parse_str),
            compound=row.get("compound", _parse_bool),
        )
        return TaxLine(rate, row.get("net", money), row.get("tax", money))

    def tender(item: Mapping[str, Any]) -> TenderTotal:
        row = _Reader(item, "a tenders row")
        return TenderTotal(
            row.get("kind", TenderKind), row.get("count", _parse_int), row.get("amount", money)
        )

    def denomination(item: Mapping[str, Any]) -> tuple[Decimal, int]:
        row = _Reader(item, "a counted_denominations row")
        return row.get("value", _parse_decimal), row.get("count", _parse_int)

    def optional_int(value: Any) -> int | None:
        return None if value is None else _parse_int(value)

    fields: dict[str, Any] = {
        "is_final": top.get("is_final", _parse_bool),
        "register_id": top.get("register_id", _parse_str),
        "session_id": top.get("session_id", lambda v: uuid.UUID(_parse_str(v))),
        "operator_id": top.get("operator_id", _parse_str),
        "operator_name": top.get("operator_name", _parse_str),
        "currency": code,
        "timezone": top.get("timezone", _parse_str),
        "opened_at": top.get("opened_at", _parse_time),
        "at": top.get("at", _parse_time),
        "tax_breakdown": tuple(tax_line(r) for r in top.get("tax_breakdown", _list_of)),
        "tenders": tuple(tender(r) for r in top.get("tenders", _list_of)),
        "counted_denominations": tuple(
            denomination(r) for r in top.get("counted_denominations", _list_of)
        ),
    }
    for key in _COUNT_KEYS:
        fields[key] = top.get(key, optional_int if key == "number" else _parse_int)
    for key in _MONEY_KEYS:
        fields[key] = top.get(key, money)
    for key in _OPTIONAL_MONEY_KEYS:
        fields[key] = top.get(key, optional_money)
    return RegisterReport(**fields)
