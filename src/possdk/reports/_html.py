"""The HTML sales report: a period's analytics on one self-contained page, charts as SVG.

The page has no script and loads nothing: it opens from a file, an e-mail
attachment or a browser without network. Amounts stay exact ``Money`` and are
formatted by babel; floats are used for pixel coordinates only.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import TYPE_CHECKING

import attrs

from possdk.core._decimal import DIV, EXACT, EXACT_ROUNDING
from possdk.core._money import Money, format_money, sum_money
from possdk.reports._analytics import (
    Analytics,
    CategorySales,
    DiscountsByPromotion,
    HourWeekdayHeatmap,
    Margins,
    SalesByDay,
    SalesSummary,
    TenderSales,
    TopProducts,
)

if TYPE_CHECKING:
    from possdk._store import Store

__all__ = ["SalesReport", "sales_report_html"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NAME_CUT = 40  # characters of a product name beside its bar; the tooltip has all of it
_WIDTH = 1040  # every chart's viewBox width; the page scales it to the column

# The heat map's ramp: from a pale to a deep blue, as (r, g, b).
_LOW, _HIGH = (219, 234, 254), (30, 64, 175)
_EMPTY_CELL = "#eef1f5"


def _e(text: object) -> str:
    """Text from data, safe in element content and in quoted attributes."""
    return html.escape(str(text), quote=True)


def _px(value: float) -> str:
    """A pixel coordinate, short: two decimals at most."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _plural(n: int, word: str, locale: str) -> str:
    return f"{_count(n, locale)} {word}{'' if n == 1 else 's'}"


def _count(n: int, locale: str) -> str:
    from babel.numbers import format_decimal

    with localcontext(EXACT_ROUNDING):  # babel computes in the ambient context
        return str(format_decimal(n, format="#,##0", locale=locale))


def _decimal(value: Decimal, locale: str, places: int | None = None) -> str:
    """A quantity or ratio: exactly ``places`` decimals, or as many as it has (up to 6)."""
    from babel.numbers import format_decimal

    fixed = "#,##0" + ("." + "0" * places if places else "")
    pattern = "#,##0.######" if places is None else fixed  # quantities are kept to millionths
    with localcontext(EXACT_ROUNDING):
        return str(format_decimal(value, format=pattern, locale=locale))


def _date(day: date, locale: str, pattern: str = "medium") -> str:
    from babel.dates import format_date

    return str(format_date(day, pattern, locale=locale))


def _ticks(lo: Decimal, hi: Decimal, count: int = 5) -> tuple[list[Decimal], int]:
    """Round axis ticks (1, 2 or 5 times a power of ten) covering ``lo`` to ``hi``.

    Returns the ticks, lowest first, and how many decimals their labels need.
    """
    if hi <= lo:
        hi = EXACT.add(lo, Decimal(1))
    raw = DIV.divide(EXACT.subtract(hi, lo), Decimal(count))
    exponent = raw.adjusted()
    factor = next(f for f in (1, 2, 5, 10) if Decimal(f).scaleb(exponent, context=EXACT) >= raw)
    if factor == 10:
        factor, exponent = 1, exponent + 1
    step = Decimal(factor).scaleb(exponent, context=EXACT)
    first = DIV.divide(lo, step).to_integral_value(rounding=ROUND_FLOOR, context=EXACT)
    last = DIV.divide(hi, step).to_integral_value(rounding=ROUND_CEILING, context=EXACT)
    ticks = [EXACT.multiply(step, Decimal(k)) for k in range(int(first), int(last) + 1)]
    return ticks, max(0, -exponent)


def _shade(count: int, peak: int) -> str:
    """The heat map colour of ``count`` sales where the busiest hour had ``peak``."""
    if count <= 0 or peak <= 0:
        return _EMPTY_CELL
    t = count / peak  # a colour, not an amount: float is fine here
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


_CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bar: #2563eb;
  --neg: #dc2626; --card: #ffffff; --page: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  font-variant-numeric: tabular-nums; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 40px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 0; color: var(--muted); }
header .period { color: var(--ink); font-size: 17px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px; margin-top: 18px; }
section h2 { margin: 0 0 12px; font-size: 18px; }
section h2 small { color: var(--muted); font-weight: normal; font-size: 14px; }
dl.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 0; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.figure dt { color: var(--muted); font-size: 13px; text-transform: uppercase;
  letter-spacing: .04em; }
.figure dd { margin: 4px 0 0; font-size: 24px; font-weight: 600; }
.figure dd.note { font-size: 13px; font-weight: normal; color: var(--muted); }
.empty { text-align: center; font-size: 20px; color: var(--muted); padding: 40px 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart text { font-size: 12px; fill: var(--muted); }
svg.chart .axis-title { font-size: 12px; fill: var(--ink); }
svg.chart .grid { stroke: var(--line); }
svg.chart .zero { stroke: #9ca3af; }
svg.chart .bar { fill: var(--bar); }
svg.chart .bar.negative { fill: var(--neg); }
svg.chart .slot { fill: transparent; }
svg.chart .day:hover .slot { fill: #eff6ff; }
svg.chart text.weekend { fill: var(--ink); font-weight: 600; }
svg.chart text.month { fill: var(--ink); }
svg.chart .cell { stroke: #ffffff; stroke-width: 2; }
svg.chart text.count { font-size: 11px; fill: var(--ink); pointer-events: none; }
svg.chart text.count.dark { fill: #ffffff; }
svg.chart .product-bar { fill: var(--bar); }
svg.chart text.name { font-size: 13px; fill: var(--ink); }
svg.chart text.amount { font-size: 13px; fill: var(--ink); font-weight: 600; }
.tables { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; margin-top: 18px; }
.tables section { margin-top: 0; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; font-size: 13px; }
tfoot td { font-weight: 600; border-bottom: none; }
footer { margin-top: 18px; color: var(--muted); font-size: 13px; text-align: center; }
@media (max-width: 800px) {
  dl.figures { grid-template-columns: repeat(2, 1fr); }
  .tables { grid-template-columns: 1fr; }
}
@media print { body { background: #ffffff; } section { break-inside: avoid; } }
""".strip()


@attrs.frozen
class SalesReport:
    """A period's analytics gathered for one HTML page.

    ``SalesReport.build(store, date(2026, 11, 1), date(2026, 12, 1)).to_html()``
    is what :func:`sales_report_html` returns; building first lets a caller
    look at the figures the page will show.
    """

    summary: SalesSummary
    """Headline counts and totals."""
    by_day: SalesByDay
    """Every day of the period, for the bar chart."""
    heatmap: HourWeekdayHeatmap
    """Sale receipts by weekday and hour, for the heat map."""
    top_products: TopProducts
    """The best-selling products by revenue, for the horizontal bars."""
    categories: CategorySales
    """Sales by product category, for the first table (biggest first, no category last)."""
    tenders: TenderSales
    """What each tender kind took, for the second table (biggest first)."""
    locale: str
    """The CLDR locale for amounts, numbers and dates, e.g. ``"uk_UA"``."""
    title: str = "Sales report"
    """The page's heading."""
    shop: str = ""
    """The shop's name under the heading (empty: none)."""
    timezone: str = "UTC"
    """The zone the local dates and hours are in, named in the page's footer."""
    register_id: str | None = None
    """The till the figures are narrowed to, if any."""
    operator_id: str | None = None
    """The cashier the figures are narrowed to, if any."""
    discounts: DiscountsByPromotion | None = None
    """What each promotion and the cashiers took off, for the third table (None: not shown)."""
    margins: Margins | None = None
    """Revenue, cost and margin where costs are known, for a headline figure (None: not shown)."""

    @classmethod
    def build(
        cls,
        store: Store,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
        top: int = 20,
        title: str | None = None,
        locale: str | None = None,
    ) -> SalesReport:
        """Run the period's queries through :class:`Analytics`.

        The period is ``[start, end)`` of local dates, as in ``Analytics``.
        ``locale`` defaults to the store's ``settings.locale``.

        Raises:
            ReportError: ``start`` is not before ``end``, or ``top`` is below 1.
        """
        analytics = Analytics(store)
        narrow = {"register_id": register_id, "operator_id": operator_id}
        settings = store.settings
        return cls(
            summary=analytics.summary(start, end, **narrow),
            by_day=analytics.by_day(start, end, **narrow),
            heatmap=analytics.heatmap(start, end, **narrow),
            top_products=analytics.top_products(start, end, by="revenue", limit=top, **narrow),
            categories=analytics.by_category(start, end, **narrow),
            tenders=analytics.by_tender(start, end, **narrow),
            locale=locale or settings.locale or "en_US",
            title=title or "Sales report",
            shop=settings.receipt_header[0] if settings.receipt_header else "",
            timezone=settings.timezone,
            register_id=register_id,
            operator_id=operator_id,
            discounts=analytics.discounts_by_promotion(start, end, **narrow),
            margins=analytics.margins(start, end, **narrow),
        )

    @property
    def is_empty(self) -> bool:
        """True when the period has neither a sale nor a return."""
        return not (self.summary.sales or self.summary.returns)

    def to_html(self) -> str:
        """The report as one HTML5 document: inline CSS and SVG, no script, nothing to load."""
        s = self.summary
        last = s.end - timedelta(days=1)
        period = _date(s.start, self.locale)
        if last != s.start:
            period += f" – {_date(last, self.locale)}"
        meta = [self.shop] if self.shop else []
        if self.register_id is not None:
            meta.append(f"Register {self.register_id}")
        if self.operator_id is not None:
            meta.append(f"Operator {self.operator_id}")
        if self.is_empty:
            body = '<section><p class="empty">No sales in this period</p></section>'
        else:
            body = "\n".join(
                [
                    self._day_section(),
                    self._heatmap_section(),
                    self._products_section(),
                    '<div class="tables">',
                    self._categories_section(),
                    self._tenders_section(),
                    self._discounts_section(),
                    "</div>",
                ]
            )
        currency = s.sales_total.currency
        lang = self.locale.replace("-", "_").split("_")[0]
        return "\n".join(
            [
                "<!DOCTYPE html>",
                f'<html lang="{_e(lang)}">',
                "<head>",
                '<meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                '<link rel="icon" href="data:,">',  # no favicon request
                f"<title>{_e(self.title)} · {_e(period)}</title>",
                f"<style>\n{_CSS}\n</style>",
                "</head>",
                "<body>",
                "<main>",
                "<header>",
                f"<h1>{_e(self.title)}</h1>",
                f'<p class="period">{_e(period)}</p>',
                *(f'<p class="meta">{_e(line)}</p>' for line in meta),
                "</header>",
                self._figures_section(),
                body,
                f"<footer>Amounts in {_e(currency)}, tax included unless marked net. "
                f"Days and hours are local to {_e(self.timezone)}.</footer>",
                "</main>",
                "</body>",
                "</html>",
                "",
            ]
        )

    # ---- sections ----------------------------------------------------------------

    def _money(self, value: Money) -> str:
        return _e(format_money(value, locale=self.locale))

    def _figures_section(self) -> str:
        s, loc = self.summary, self.locale
        figures = [
            ("total", "Total sales", self._money(s.total), "after returns"),
            ("sales", "Sales", _e(_count(s.sales, loc)), "receipts"),
            ("average_basket", "Average basket", self._money(s.average_basket), ""),
            ("items_per_basket", "Items per basket", _e(_decimal(s.items_per_basket, loc, 2)), ""),
            ("returns", "Returns", _e(_count(s.returns, loc)), self._money(s.returns_total)),
            ("discount", "Discounts", self._money(s.discount), ""),
            ("tax", "Tax", self._money(s.tax), ""),
            ("net", "Net of tax", self._money(s.net), ""),
        ]
        m = self.margins
        if m is not None and m.costed_net.amount:  # only where the cost of goods is known
            rate = m.margin_rate
            note = "" if rate is None else f"{_decimal(rate * 100, loc, 1)} % of costed sales"
            figures.append(("margin", "Margin", self._money(m.margin), _e(note)))
        cards = "\n".join(
            f'<div class="figure" data-figure="{key}"><dt>{label}</dt><dd>{value}</dd>'
            + (f'<dd class="note">{note}</dd>' if note else "")
            + "</div>"
            for key, label, value, note in figures
        )
        return (
            '<section aria-label="Headline figures">\n'
            f'<dl class="figures">\n{cards}\n</dl>\n</section>'
        )

    def _day_section(self) -> str:
        days = self.by_day.days
        loc = self.locale
        width, height = _WIDTH, 320
        left, right, top, bottom = 96, 12, 14, 58
        plot_w, plot_h = width - left - right, height - top - bottom
        amounts = [d.total.amount for d in days]
        ticks, places = _ticks(min([Decimal(0), *amounts]), max([Decimal(0), *amounts]))
        lo, hi = float(ticks[0]), float(ticks[-1])

        def y(value: Decimal) -> float:
            return top + plot_h * (hi - float(value)) / (hi - lo)

        out = [
            f'<svg class="chart" id="sales-by-day" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="Sales by day">'
        ]
        for tick in ticks:
            ty = _px(y(tick))
            out.append(
                f'<line class="{"zero" if tick == 0 else "grid"}" x1="{left}" x2="{width - right}"'
                f' y1="{ty}" y2="{ty}"/>'
                f'<text x="{left - 8}" y="{ty}" text-anchor="end" dominant-baseline="middle">'
                f"{_e(_decimal(tick, loc, places))}</text>"
            )
        slot = plot_w / len(days)
        bar_w = max(1.0, slot * 0.72)
        every = 1 if len(days) <= 45 else 7  # long periods: a label a week
        zero_y = y(Decimal(0))
        for i, d in enumerate(days):
            x = left + i * slot
            bar_y = y(d.total.amount)
            tip = (
                f"{_date(d.day, loc, 'full')}: {format_money(d.total, locale=loc)}"
                f" · {_plural(d.sales, 'sale', loc)} · {_plural(d.returns, 'return', loc)}"
            )
            negative = " negative" if d.total.amount < 0 else ""
            out.append(
                f'<g class="day" data-day="{d.day.isoformat()}"><title>{_e(tip)}</title>'
                f'<rect class="slot" x="{_px(x)}" y="{top}" width="{_px(slot)}" height="{plot_h}"/>'
                f'<rect class="bar{negative}" data-total="{d.total.amount}"'
                f' x="{_px(x + (slot - bar_w) / 2)}" y="{_px(min(zero_y, bar_y))}"'
                f' width="{_px(bar_w)}" height="{_px(abs(zero_y - bar_y))}"/></g>'
            )
            centre = _px(x + slot / 2)
            if i % every == 0 or d.day.day == 1:
                weekend = ' class="weekend"' if d.day.weekday() >= 5 else ""
                out.append(
                    f'<text{weekend} x="{centre}" y="{height - bottom + 16}" '
                    f'text-anchor="middle">{d.day.day}</text>'
                )
            if i == 0 or d.day.day == 1:
                out.append(
                    f'<text class="month" x="{_px(x)}" y="{height - bottom + 34}">'
                    f"{_e(_date(d.day, loc, 'LLL y'))}</text>"
                )
        out.append(
            f'<text class="axis-title" transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)"'
            f' text-anchor="middle">{_e(self.summary.sales_total.currency)} a day</text>'
            f'<text class="axis-title" x="{left + plot_w / 2:.0f}" y="{height - 6}"'
            f' text-anchor="middle">Day (weekends in bold)</text></svg>'
        )
        return (
            '<section id="by-day-section">\n<h2>Sales by day '
            "<small>after returns, tax included</small></h2>\n" + "".join(out) + "\n</section>"
        )

    def _heatmap_section(self) -> str:
        counts, totals, loc = self.heatmap.counts, self.heatmap.totals, self.locale
        peak = max(max(row) for row in counts)
        left, top, cell_h = 48, 26, 32
        cell_w = (_WIDTH - left - 8) / 24
        grid_h = 7 * cell_h
        height = top + grid_h + 64
        out = [
            f'<svg class="chart" id="heatmap" viewBox="0 0 {_WIDTH} {height}" '
            f'role="img" aria-label="Sales by weekday and hour">'
        ]
        for h in range(24):
            out.append(
                f'<text x="{_px(left + (h + 0.5) * cell_w)}" y="{top - 8}" '
                f'text-anchor="middle">{h:02d}</text>'
            )
        for w in range(7):
            cy = top + (w + 0.5) * cell_h
            weekend = ' class="weekend"' if w >= 5 else ""
            out.append(
                f'<text{weekend} x="{left - 8}" y="{_px(cy)}" text-anchor="end" '
                f'dominant-baseline="middle">{_WEEKDAYS[w]}</text>'
            )
            for h in range(24):
                n = counts[w][h]
                x, y = left + h * cell_w, top + w * cell_h
                tip = (
                    f"{_WEEKDAY_NAMES[w]} {h:02d}:00–{h + 1:02d}:00: {_plural(n, 'sale', loc)}"
                    f", {format_money(totals[w][h], locale=loc)}"
                )
                out.append(
                    f'<rect class="cell" data-weekday="{w}" data-hour="{h}" data-count="{n}"'
                    f' x="{_px(x)}" y="{y}" width="{_px(cell_w)}" height="{cell_h}"'
                    f' fill="{_shade(n, peak)}"><title>{_e(tip)}</title></rect>'
                )
                if n:
                    dark = " dark" if n * 2 > peak else ""
                    out.append(
                        f'<text class="count{dark}" x="{_px(x + cell_w / 2)}" y="{_px(cy)}"'
                        f' text-anchor="middle" dominant-baseline="middle">'
                        f"{_e(_count(n, loc))}</text>"
                    )
        legend_y = top + grid_h + 22
        low, high = (f"#{r:02x}{g:02x}{b:02x}" for r, g, b in (_LOW, _HIGH))
        out.append(
            '<defs><linearGradient id="heat-ramp">'
            f'<stop offset="0" stop-color="{low}"/><stop offset="1" stop-color="{high}"/>'
            "</linearGradient></defs>"
            f'<g class="legend" transform="translate({left} {legend_y})">'
            f'<rect width="18" height="14" fill="{_EMPTY_CELL}"/>'
            '<text x="24" y="7" dominant-baseline="middle">none</text>'
            '<rect x="80" width="220" height="14" fill="url(#heat-ramp)"/>'
            f'<text x="80" y="30" text-anchor="start">1</text>'
            f'<text x="300" y="30" text-anchor="end">{_e(_count(max(peak, 1), loc))}</text>'
            '<text class="axis-title" x="312" y="7" dominant-baseline="middle">'
            "sales in the hour, over the period</text></g></svg>"
        )
        return (
            '<section id="heatmap-section">\n<h2>Busy hours '
            "<small>sale receipts by weekday and hour</small></h2>\n"
            + "".join(out)
            + "\n</section>"
        )

    def _products_section(self) -> str:
        products, loc = self.top_products.products, self.locale
        if not products:
            return ""
        label_w, amount_w, row_h, top = 320, 150, 30, 4
        bar_room = _WIDTH - label_w - amount_w
        peak = max(float(p.gross.amount) for p in products)
        height = top * 2 + row_h * len(products)
        out = [
            f'<svg class="chart" id="top-products" viewBox="0 0 {_WIDTH} {height}" '
            f'role="img" aria-label="Top products by revenue">'
        ]
        for i, p in enumerate(products):
            y = top + i * row_h
            length = bar_room * max(0.0, float(p.gross.amount)) / peak if peak > 0 else 0.0
            name = p.name if len(p.name) <= _NAME_CUT else p.name[: _NAME_CUT - 1] + "…"
            tip = (
                f"{p.name} ({p.sku}): {format_money(p.gross, locale=loc)}"
                f", {_decimal(p.quantity, loc)} sold"
            )
            out.append(
                f'<g class="product" data-sku="{_e(p.sku)}"><title>{_e(tip)}</title>'
                f'<text class="name" x="{label_w - 10}" y="{y + row_h / 2:.0f}" '
                f'text-anchor="end" dominant-baseline="middle">{_e(name)}</text>'
                f'<rect class="product-bar" data-gross="{p.gross.amount}" x="{label_w}"'
                f' y="{y + 5}" width="{_px(length)}" height="{row_h - 10}" rx="3"/>'
                f'<text class="amount" x="{_px(label_w + length + 8)}" y="{y + row_h / 2:.0f}"'
                f' dominant-baseline="middle">{self._money(p.gross)}</text></g>'
            )
        out.append("</svg>")
        return (
            '<section id="top-products-section">\n<h2>Top products '
            f"<small>by revenue, the best {_e(_count(len(products), loc))}</small></h2>\n"
            + "".join(out)
            + "\n</section>"
        )

    def _table(
        self,
        section_id: str,
        heading: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        footer: Sequence[str],
    ) -> str:
        def line(cells: Sequence[str], tag: str = "td") -> str:
            return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"

        return (
            f'<section id="{section_id}">\n<h2>{heading}</h2>\n<table>\n'
            f"<thead>{line(header, 'th')}</thead>\n<tbody>\n"
            + "\n".join(line(r) for r in rows)
            + f"\n</tbody>\n<tfoot>{line(footer)}</tfoot>\n</table>\n</section>"
        )

    def _categories_section(self) -> str:
        loc, code = self.locale, self.summary.sales_total.currency
        rows = [
            [
                _e(category) if category is not None else "<em>No category</em>",
                _e(_count(lines, loc)),
                _e(_decimal(quantity, loc)),
                self._money(net),
                self._money(gross),
            ]
            for category, lines, quantity, net, gross in sorted(
                self.categories.rows, key=lambda r: (r[0] is None, -r[4].amount, r[0] or "")
            )
        ]
        net = sum_money((r[3] for r in self.categories.rows), code)
        gross = sum_money((r[4] for r in self.categories.rows), code)
        return self._table(
            "categories",
            "Categories",
            ("Category", "Lines", "Quantity", "Net", "Gross"),
            rows,
            ("Total", "", "", self._money(net), self._money(gross)),
        )

    def _tenders_section(self) -> str:
        loc, code = self.locale, self.summary.sales_total.currency
        rows = [
            [_e(kind.replace("_", " ").capitalize()), _e(_count(n, loc)), self._money(amount)]
            for kind, n, amount in sorted(self.tenders.rows, key=lambda r: (-r[2].amount, r[0]))
        ]
        taken = sum_money((r[2] for r in self.tenders.rows), code)
        count = sum(r[1] for r in self.tenders.rows)
        return self._table(
            "tenders",
            "Tenders",
            ("Tender", "Count", "Amount"),
            rows,
            ("Total", _e(_count(count, loc)), self._money(taken)),
        )

    def _discounts_section(self) -> str:
        given = self.discounts
        if given is None or not given.total.amount:
            return ""
        loc = self.locale
        rows = [
            [_e(p.description), _e(_count(p.receipts, loc)), self._money(p.amount)]
            for p in given.promotions
        ]
        if given.manual.amount:
            rows.append(["<em>Given by hand</em>", "", self._money(given.manual)])
        return self._table(
            "discounts",
            "Discounts",
            ("Promotion", "Receipts", "Amount"),
            rows,
            ("Total", "", self._money(given.total)),
        )


def sales_report_html(
    store: Store,
    start: date,
    end: date,
    *,
    register_id: str | None = None,
    operator_id: str | None = None,
    top: int = 20,
    title: str | None = None,
    locale: str | None = None,
) -> str:
    """A period's sales as one self-contained HTML page a shop owner can open anywhere.

    Headline figures, a sales-by-day bar chart, an hour by weekday heat map,
    the ``top`` products by revenue, and tables of categories and tenders.
    The period is ``[start, end)`` of local dates; ``register_id`` and
    ``operator_id`` narrow it as in :class:`Analytics`. Amounts, numbers and
    dates are formatted for ``locale`` (default: the store's
    ``settings.locale``); every name from the data is escaped.

    Raises:
        ReportError: ``start`` is not before ``end``, or ``top`` is below 1.
    """
    return SalesReport.build(
        store,
        start,
        end,
        register_id=register_id,
        operator_id=operator_id,
        top=top,
        title=title,
        locale=locale,
    ).to_html()
