"""Plain-text rendering of receipts and register reports, localised through babel."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

import attrs

from possdk.core._decimal import EXACT, EXACT_ROUNDING, RoundingMode, quantize
from possdk.core._lines import DiscountKind, PromotionDiscount
from possdk.core._money import Money, currency
from possdk.core._tender import TenderKind
from possdk.errors import ConfigurationError

if TYPE_CHECKING:
    from possdk.core._receipt import Receipt
    from possdk.core._register import RegisterReport

__all__ = [
    "Labels",
    "Row",
    "RowKind",
    "RowRole",
    "labels_for",
    "receipt_rows",
    "render_receipt",
    "render_report",
    "row_text",
]

Labels = dict[str, str]

_EN: Labels = {
    "receipt": "Receipt",
    "return": "RETURN",
    "copy": "*** COPY ***",
    "register": "Register",
    "operator": "Cashier",
    "discount": "Discount",
    "sale_discount": "Sale discount",
    "subtotal": "Subtotal",
    "total": "TOTAL",
    "refund_total": "REFUND",
    "net": "Net",
    "tax": "Tax",
    "incl_tax": "incl.",
    "change": "Change",
    "points_earned": "Points earned",
    "points_balance": "Points balance",
    "rounding": "Cash rounding",
    "paid": "Paid",
    "items": "Items",
    "return_of": "Return of receipt",
    "price_override": "price changed from",
    "x_report": "X REPORT",
    "z_report": "Z REPORT",
    "session": "Session",
    "opened": "Opened",
    "closed": "Closed",
    "printed": "Printed",
    "sales": "Sales",
    "returns": "Returns",
    "voids": "Voided sales",
    "voided_lines": "Voided lines",
    "discounts": "Discounts",
    "net_sales": "Net sales",
    "gross_sales": "Gross sales",
    "tenders": "Tenders",
    "opening_float": "Opening float",
    "cash_sales": "Cash sales",
    "cash_refunds": "Cash refunds",
    "paid_in": "Paid in",
    "paid_out": "Paid out",
    "expected_cash": "Expected in drawer",
    "counted_cash": "Counted",
    "variance": "Variance",
    "no_sales": "No-sale opens",
    "count": "count",
    "approvals": "Approvals",
    "cash": "Cash",
    "card": "Card",
    "mobile": "Mobile",
    "gift_card": "Gift card",
    "store_credit": "Store credit",
    "points": "Points",
    "voucher": "Voucher",
    "number": "No.",
    "tax_breakdown": "Tax",
    "gift_cards_sold": "Gift cards sold",
    "gift_cards_redeemed": "Gift cards redeemed",
    "grand_total_sales": "Grand total sales",
    "grand_total_returns": "Grand total returns",
}

_UK: Labels = {
    "receipt": "Чек",
    "return": "ПОВЕРНЕННЯ",
    "copy": "*** КОПІЯ ***",
    "register": "Каса",
    "operator": "Касир",
    "discount": "Знижка",
    "sale_discount": "Знижка на чек",
    "subtotal": "Проміжний підсумок",
    "total": "СУМА",
    "refund_total": "ДО ПОВЕРНЕННЯ",
    "net": "Без податку",
    "tax": "Податок",
    "incl_tax": "у т.ч.",
    "change": "Решта",
    "points_earned": "Нараховано балів",
    "points_balance": "Баланс балів",
    "rounding": "Заокруглення",
    "paid": "Сплачено",
    "items": "Позицій",
    "return_of": "Повернення за чеком",
    "price_override": "ціну змінено з",
    "x_report": "X-ЗВІТ",
    "z_report": "Z-ЗВІТ",
    "session": "Зміна",
    "opened": "Відкрито",
    "closed": "Закрито",
    "printed": "Надруковано",
    "sales": "Продажі",
    "returns": "Повернення",
    "voids": "Анульовані чеки",
    "voided_lines": "Анульовані позиції",
    "discounts": "Знижки",
    "net_sales": "Чисті продажі",
    "gross_sales": "Валові продажі",
    "tenders": "Оплати",
    "opening_float": "Розмінна монета",
    "cash_sales": "Готівкою продано",
    "cash_refunds": "Готівкою повернено",
    "paid_in": "Службове внесення",
    "paid_out": "Службова видача",
    "expected_cash": "Очікується в касі",
    "counted_cash": "Пораховано",
    "variance": "Розбіжність",
    "no_sales": "Відкриття без продажу",
    "count": "шт.",
    "approvals": "Дозволи",
    "cash": "Готівка",
    "card": "Картка",
    "mobile": "Мобільна оплата",
    "gift_card": "Подарункова картка",
    "store_credit": "Кредит магазину",
    "points": "Бали",
    "voucher": "Ваучер",
    "number": "№",
    "tax_breakdown": "Податки",
    "gift_cards_sold": "Подарункові картки: продаж",
    "gift_cards_redeemed": "Подарункові картки: оплата",
    "grand_total_sales": "Загальний підсумок продажів",
    "grand_total_returns": "Загальний підсумок повернень",
}

_LABELS = {"en": _EN, "uk": _UK}


def labels_for(locale: str) -> Labels:
    """Receipt and report labels for a locale; English where a language has none yet."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return _LABELS.get(language, _EN)


@functools.lru_cache(maxsize=64)
def _pattern(minor_units: int) -> str:
    return "#,##0" + ("." + "0" * minor_units if minor_units else "")


def amount_text(value: Decimal | Money, currency_code: str, locale: str) -> str:
    """An amount as digits with the locale's separators, no currency sign."""
    from babel.numbers import format_decimal

    raw = value.amount if isinstance(value, Money) else value
    info = currency(currency_code)
    rounded = quantize(raw, info.quantum, RoundingMode.HALF_UP)
    with localcontext(EXACT_ROUNDING):  # babel computes in the ambient context
        return str(format_decimal(rounded, format=_pattern(info.minor_units), locale=locale))


def quantity_text(value: Decimal, decimals: int, locale: str) -> str:
    """A quantity with exactly ``decimals`` places in the locale's style."""
    from babel.numbers import format_decimal

    pattern = "0" + ("." + "0" * decimals if decimals else "")
    with localcontext(EXACT_ROUNDING):
        return str(format_decimal(value, format=pattern, locale=locale))


def money_text(value: Money, locale: str) -> str:
    """An amount with its currency sign, as babel formats it for the locale."""
    from possdk.core._money import format_money

    return format_money(value, locale=locale)


def datetime_text(value: datetime, locale: str, timezone: str = "UTC") -> str:
    """A short date and time in the locale's style, in the shop's time zone."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    return str(format_datetime(value, format="short", locale=locale, tzinfo=ZoneInfo(timezone)))


_ACCOUNTS = (TenderKind.GIFT_CARD, TenderKind.STORE_CREDIT)


def _masked(number: str) -> str:
    """An account number as a receipt shows it: its last four characters."""
    return f"*{number[-4:]}" if len(number) > 4 else number


def _two(left: str, right: str, width: int) -> str:
    """Left text and right-aligned amount on one line, wrapping the text if needed."""
    space = width - len(right) - 1
    if len(left) <= space:
        return left + " " * (width - len(left) - len(right)) + right
    return left[:width] + "\n" + right.rjust(width)


def _pair(left: str, right: str, width: int) -> str:
    """A report row as :func:`_two` makes it, but a label too long for a line wraps, uncut."""
    if len(left) <= width:
        return _two(left, right, width)
    return "\n".join([*_wrap(left, width), right.rjust(width)])


def _center(text: str, width: int) -> str:
    return text[:width].center(width).rstrip()


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def _block(lines: Iterable[str]) -> str:
    return "\n".join(lines) + "\n"


class RowKind(enum.Enum):
    """How a receipt row is laid out on a line of text."""

    TEXT = "text"
    """Text from the left margin (already cut to the width)."""
    CENTER = "center"
    """Text centred on the line."""
    PAIR = "pair"
    """A label on the left and an amount on the right (wrapped when too long)."""
    RULE = "rule"
    """A line of dashes."""


class RowRole(enum.Enum):
    """What a receipt row says, for renderers that style it (bold, double height)."""

    HEADER = "header"
    COPY = "copy"
    RETURN = "return"
    TITLE = "title"
    INFO = "info"
    RULE = "rule"
    ITEM = "item"
    ITEM_DETAIL = "item_detail"
    SUBTOTAL = "subtotal"
    TOTAL = "total"
    TAX = "tax"
    TENDER = "tender"
    CHANGE = "change"
    EXTRA = "extra"


@attrs.frozen
class Row:
    """One row of a receipt as laid out for text: what :func:`receipt_rows` returns."""

    kind: RowKind
    """Its layout."""
    role: RowRole
    """What it says."""
    left: str = ""
    """The text (or the label of a pair)."""
    right: str = ""
    """The amount of a pair."""


def row_text(row: Row, width: int) -> str:
    """A row as text ``width`` characters wide; a pair too long for one line takes two."""
    if row.kind is RowKind.PAIR:
        return _two(row.left, row.right, width)
    if row.kind is RowKind.CENTER:
        return _center(row.left, width)
    if row.kind is RowKind.RULE:
        return "-" * width
    return row.left


def render_receipt(receipt: Receipt, *, width: int, locale: str) -> str:
    """Render a receipt as plain text, ``width`` characters per line."""
    return _block(row_text(r, width) for r in receipt_rows(receipt, width=width, locale=locale))


def receipt_rows(receipt: Receipt, *, width: int, locale: str) -> list[Row]:
    """A receipt as rows: the layout :func:`render_receipt` writes as text, for other renderers."""
    with localcontext(EXACT_ROUNDING):  # possdk's context, whatever the host app set
        return _receipt_rows(receipt, width=width, locale=locale)


def _receipt_rows(receipt: Receipt, *, width: int, locale: str) -> list[Row]:
    if width < 24:
        raise ConfigurationError(f"a receipt needs at least 24 columns, got {width}")
    lb = labels_for(locale)
    code = receipt.currency
    amt = functools.partial(amount_text, currency_code=code, locale=locale)
    out: list[Row] = []
    K, R = RowKind, RowRole

    def text(role: RowRole, value: str) -> None:
        out.append(Row(K.TEXT, role, value))

    def pair(role: RowRole, left: str, right: str) -> None:
        out.append(Row(K.PAIR, role, left, right))

    def rule() -> None:
        out.append(Row(K.RULE, R.RULE))

    for h in receipt.header:
        out.append(Row(K.CENTER, R.HEADER, h[:width]))
    if receipt.copy:
        out.append(Row(K.CENTER, R.COPY, lb["copy"][:width]))
    if receipt.is_return:
        out.append(Row(K.CENTER, R.RETURN, lb["return"][:width]))
    pair(
        R.TITLE,
        f"{lb['receipt']} {receipt.number}",
        datetime_text(receipt.completed_at, locale, receipt.timezone),
    )
    text(
        R.INFO,
        f"{lb['register']}: {receipt.register_id}  {lb['operator']}: {receipt.operator_name}"[
            :width
        ],
    )
    if receipt.return_of_number:
        text(R.INFO, f"{lb['return_of']} {receipt.return_of_number}"[:width])
    rule()
    by_line: dict[int, list[PromotionDiscount]] = {}
    for promo in receipt.totals.promotions:
        if promo.line_no is not None:
            by_line.setdefault(promo.line_no, []).append(promo)
    for p in receipt.lines:
        ln = p.line
        for part in _wrap(ln.name, width):
            text(R.ITEM, part)
        qty = quantity_text(EXACT.abs(ln.quantity), _decimals(ln.quantity), locale)
        unit = "" if ln.unit.value == "each" else f" {ln.unit.value}"
        sign = "-" if ln.quantity < 0 else ""
        pair(R.ITEM_DETAIL, f"  {sign}{qty}{unit} x {amt(ln.unit_price)}", amt(p.subtotal))
        if ln.list_price is not None:
            text(R.ITEM_DETAIL, f"  ({lb['price_override']} {amt(ln.list_price)})"[:width])
        if p.promotion_discount:
            named = by_line.get(ln.line_no, [])
            rest = p.promotion_discount - sum(pr.amount.amount for pr in named)
            if rest < 0:  # capped at the line's amount: one figure
                named, rest = [], p.promotion_discount
            for pr in named:  # which promotion took what off this line
                pair(R.ITEM_DETAIL, f"  {pr.description}", amt(-pr.amount.amount))
            if rest:  # the line's share of whole-sale promotions (named below the lines)
                pair(R.ITEM_DETAIL, f"  {lb['discount']}", amt(-rest))
        if p.manual_discount:
            d = ln.discount
            label = lb["discount"]
            if d is not None and d.kind is DiscountKind.PERCENT:
                label += f" {d.describe()}"
            if d is not None and d.reason:
                label += f" ({d.reason})"
            pair(R.ITEM_DETAIL, f"  {label}", amt(-p.manual_discount))
        if ln.account:  # a gift card sold or loaded: which one, without its whole number
            text(R.ITEM_DETAIL, f"  {_masked(ln.account)}"[:width])
        if ln.note:
            for part in _wrap(ln.note, width - 2):
                text(R.ITEM_DETAIL, "  " + part)
    rule()
    totals = receipt.totals
    if totals.discount:
        pair(R.SUBTOTAL, lb["subtotal"], amt(totals.subtotal))
        pair(R.SUBTOTAL, lb["discounts"], amt(-totals.discount))
    for promo in totals.promotions:
        if promo.line_no is None:  # line promotions are shown under their lines
            text(R.SUBTOTAL, f"  {promo.description}"[:width])
    for d in receipt.sale_discounts:
        reason = f" ({d.reason})" if d.reason else ""
        text(R.SUBTOTAL, f"  {lb['sale_discount']} {d.describe()}{reason}"[:width])
    total_label = lb["refund_total"] if receipt.is_return else lb["total"]
    taxed = [row for row in totals.breakdown if row.tax or row.rate.percent]
    if totals.tax_inclusive:
        pair(R.TOTAL, total_label, money_text(totals.total, locale))
        for row in taxed:
            pair(R.TAX, f"{lb['incl_tax']} {row.rate.label}", amt(row.tax))
    else:  # tax was added on top: show the net, each tax, then the total
        pair(R.TAX, lb["net"], amt(totals.net))
        for row in taxed:
            pair(R.TAX, f"+ {row.rate.label}", amt(row.tax))
        pair(R.TOTAL, total_label, money_text(totals.total, locale))
    rule()
    for t in receipt.tenders:
        label = lb.get(t.kind.value, t.kind.value)
        if t.card is not None:
            label += f" {t.card.brand} *{t.card.last4}"  # never more of a card than this
        elif t.reference and t.kind in _ACCOUNTS:
            label += f" {_masked(t.reference)}"  # the number spends the balance: not printed
        elif t.reference and (
            t.kind is TenderKind.VOUCHER or t.provider in (None, "manual-terminal")
        ):
            label += f" {t.reference}"
        if t.offline:
            label += " (offline)"
        shown = t.tendered if t.kind is TenderKind.CASH else t.amount
        pair(R.TENDER, label, amt(shown))
    if receipt.cash_rounding:
        pair(R.TENDER, lb["rounding"], amt(receipt.cash_rounding))
    if receipt.change:
        pair(R.CHANGE, lb["change"], amt(receipt.change))
    if receipt.points_earned is not None:
        rule()
        pair(R.INFO, lb["points_earned"], str(receipt.points_earned))
        if receipt.points_balance is not None:
            pair(R.INFO, lb["points_balance"], str(receipt.points_balance))
    if receipt.extra_lines:
        rule()
        for extra in receipt.extra_lines:
            out.extend(Row(K.CENTER, R.EXTRA, part[:width]) for part in _wrap(extra, width))
    return out


def _decimals(quantity: Decimal) -> int:
    exponent = quantity.normalize(EXACT).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def render_report(report: RegisterReport, *, width: int, locale: str) -> str:
    """Render an X or Z report as plain text, ``width`` characters per line."""
    with localcontext(EXACT_ROUNDING):
        return _render_report(report, width=width, locale=locale)


def _render_report(report: RegisterReport, *, width: int, locale: str) -> str:
    lb = labels_for(locale)
    code = report.currency
    amt = functools.partial(amount_text, currency_code=code, locale=locale)
    rule = "-" * width
    out: list[str] = []
    title = lb["z_report"] if report.is_final else lb["x_report"]
    if report.number is not None:
        title += f" {lb['number']}{report.number}"
    out.append(_center(title, width))
    out.append(
        f"{lb['register']}: {report.register_id}  {lb['operator']}: {report.operator_name}"[:width]
    )
    out.append(_pair(lb["opened"], datetime_text(report.opened_at, locale, report.timezone), width))
    out.append(
        _pair(
            lb["closed"] if report.is_final else lb["printed"],
            datetime_text(report.at, locale, report.timezone),
            width,
        )
    )
    out.append(rule)
    rows: list[tuple[str, str]] = [
        (f"{lb['sales']} ({report.sale_count})", amt(report.sales)),
        (f"  {lb['discounts']}", amt(report.discounts)),
        (f"{lb['returns']} ({report.return_count})", amt(report.returns)),
        (lb["net_sales"], amt(report.net_sales)),
        (f"{lb['voids']} ({report.void_count})", amt(report.voided_total)),
    ]
    if report.voided_line_count:
        rows.append((lb["voided_lines"], str(report.voided_line_count)))
    out.extend(_pair(a, b, width) for a, b in rows)
    if report.tax_breakdown:
        out.append(rule)
        for line in report.tax_breakdown:
            out.append(_pair(f"{line.rate.label} {lb['net']}", amt(line.net), width))
            out.append(_pair(f"{line.rate.label} {lb['tax']}", amt(line.tax), width))
    out.append(rule)
    out.append(lb["tenders"])
    for tt in report.tenders:
        label = lb.get(tt.kind.value, tt.kind.value)
        out.append(_pair(f"  {label} ({tt.count})", amt(tt.amount), width))
    gift_cards = (
        (lb["gift_cards_sold"], report.gift_cards_sold_count, report.gift_cards_sold),
        (lb["gift_cards_redeemed"], report.gift_cards_redeemed_count, report.gift_cards_redeemed),
    )
    if any(count or value for _, count, value in gift_cards):  # most shops sell none: no noise
        out.append(rule)
        out.extend(
            _pair(f"{label} ({count})", amt(value), width) for label, count, value in gift_cards
        )
    out.append(rule)
    cash_rows: Sequence[tuple[str, Money | None]] = [
        (lb["opening_float"], report.opening_float),
        (lb["cash_sales"], report.cash_sales),
        (lb["cash_refunds"], report.cash_refunds),
        (lb["paid_in"], report.paid_in),
        (lb["paid_out"], report.paid_out),
        (lb["rounding"], report.cash_rounding),
        (lb["expected_cash"], report.expected_cash),
        (lb["counted_cash"], report.counted_cash),
        (lb["variance"], report.variance),
    ]
    for label, value in cash_rows:
        if value is not None:
            out.append(_pair(label, amt(value), width))
    if report.no_sale_count:
        out.append(_pair(lb["no_sales"], str(report.no_sale_count), width))
    if report.approval_count:
        out.append(_pair(lb["approvals"], str(report.approval_count), width))
    if report.counted_denominations:
        out.append(rule)
        for face, count in report.counted_denominations:
            out.append(_pair(f"  {amt(face)} x {count}", amt(EXACT.multiply(face, count)), width))
    grand = (
        (lb["grand_total_sales"], report.grand_total_sales),
        (lb["grand_total_returns"], report.grand_total_returns),
    )
    if any(value is not None for _, value in grand):
        out.append(rule)
        out.extend(_pair(label, amt(value), width) for label, value in grand if value is not None)
    return _block(out)
