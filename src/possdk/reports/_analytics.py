"""Sales analytics: typed results of SQL aggregates over local dates, with renderers.

The database sums (``ReportsUnitOfWork``); this module turns minor units into
``Money``, folds UTC quarter-hours into local days and hours, and renders
text, CSV and JSON. No sale is loaded into Python.
"""

from __future__ import annotations

import abc
import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import attrs

from possdk.core._decimal import EXACT, RoundingMode
from possdk.core._money import Money
from possdk.errors import ReportError
from possdk.reports._accounting import business_day_range
from possdk.storage._sql_reports import SalesFilter

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage._backend import UnitOfWork

__all__ = [
    "Analytics",
    "CategorySales",
    "DaySales",
    "DiscountsByPromotion",
    "HourWeekdayHeatmap",
    "Margins",
    "ProductSales",
    "PromotionDiscount",
    "SalesByDay",
    "SalesSummary",
    "SlowMover",
    "SlowMovers",
    "TaxRateSales",
    "TenderSales",
    "TopProducts",
]

_MICRO = Decimal(1_000_000)
_CENT = Decimal("0.01")
_FOUR = Decimal("0.0001")
_RATIO = Context(prec=28, rounding=ROUND_HALF_UP)  # explicit: never the ambient context
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _qty(micro: int) -> Decimal:
    return EXACT.divide(Decimal(micro), _MICRO).normalize() if micro else Decimal(0)


def _cell(value: object) -> str:
    if isinstance(value, Money):
        return format(value.amount, "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _json(value: object) -> object:
    return value if isinstance(value, int | str) or value is None else _cell(value)


class _Tabular(abc.ABC):
    """Shared renderers: a result is a title, a header and rows of cells."""

    @abc.abstractmethod
    def _title(self) -> str: ...

    @abc.abstractmethod
    def _header(self) -> tuple[str, ...]: ...

    @abc.abstractmethod
    def _rows(self) -> list[tuple[object, ...]]: ...

    _shrink = 0  # the column cut to fit the width: the one holding names

    def as_text(self, width: int = 80) -> str:
        """A plain-text table, lines at most ``width`` wide (names are cut with ``~``).

        Columns with nothing in them (costs where none are known) are left out.
        """
        header = self._header()
        rows = [tuple(_cell(v) for v in r) for r in self._rows()]
        keep = [i for i in range(len(header)) if i <= self._shrink or any(r[i] for r in rows)]
        if rows and len(keep) < len(header):
            header = tuple(header[i] for i in keep)
            rows = [tuple(r[i] for i in keep) for r in rows]
        widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=True)]
        k = self._shrink
        others = sum(w + 2 for i, w in enumerate(widths) if i != k)
        widths[k] = max(4, min(widths[k], width - others))

        def line(cells: Sequence[str]) -> str:
            out = []
            for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
                c = c if len(c) <= w else c[: w - 1] + "~"
                out.append(c.ljust(w) if i <= k else c.rjust(w))
            return "  ".join(out).rstrip()

        title = self._title()
        return "\n".join([title[:width], line(header), *(line(r) for r in rows)]) + "\n"

    def to_csv(self) -> str:
        """The rows as CSV with a header row; amounts as plain decimals."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self._header())
        for r in self._rows():
            writer.writerow([_cell(v) for v in r])
        return out.getvalue()

    def to_json(self) -> str:
        """``{"report": title, "rows": [{column: value}]}``; amounts as decimal strings."""
        header = self._header()
        rows = [{k: _json(v) for k, v in zip(header, r, strict=True)} for r in self._rows()]
        return json.dumps({"report": self._title(), "rows": rows}, indent=2)


def _period(start: date, end: date) -> str:
    return f"{start.isoformat()} to {end.isoformat()}"


# ---- results -----------------------------------------------------------------------


@attrs.frozen
class SalesSummary(_Tabular):
    """Totals of a period's receipts: sales and returns (a return's amounts are negative)."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    sales: int
    """Sale receipts."""
    returns: int
    """Return receipts."""
    sales_total: Money
    """What the sale receipts came to (tax included, after discounts)."""
    returns_total: Money
    """What the return receipts gave back (negative)."""
    net: Money
    """Sales and returns netted, before tax."""
    tax: Money
    """Tax, sales and returns netted."""
    discount: Money
    """Discounts given on sale receipts (as the Z report counts them)."""
    discount_returned: Money
    """The discounts' share refunded with returned lines (negative or zero)."""
    items: Decimal
    """Quantity sold on sale receipts (pieces, or kilograms for weighed goods)."""
    items_returned: Decimal
    """Quantity given back on return receipts (negative)."""

    @property
    def total(self) -> Money:
        """Sales and returns netted, tax included."""
        return self.sales_total + self.returns_total

    @property
    def average_basket(self) -> Money:
        """The sale receipts' total divided by their number (zero without sales)."""
        if not self.sales:
            return Money.zero(self.sales_total.currency)
        minor = self.sales_total.minor
        half_up = (2 * abs(minor) + self.sales) // (2 * self.sales)
        return Money.from_minor(half_up if minor >= 0 else -half_up, self.sales_total.currency)

    @property
    def items_per_basket(self) -> Decimal:
        """Items per sale receipt, to two places (zero without sales)."""
        if not self.sales:
            return Decimal(0)
        return _RATIO.divide(self.items, Decimal(self.sales)).quantize(_CENT, context=_RATIO)

    @property
    def returns_rate(self) -> Decimal:
        """Returned value as a share of sold value, to four places (0.0125 is 1.25 %)."""
        if not self.sales_total.amount:
            return Decimal(0)
        share = _RATIO.divide(-self.returns_total.amount, self.sales_total.amount)
        return share.quantize(_FOUR, context=_RATIO)

    def _title(self) -> str:
        return f"Sales summary {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("figure", "value")

    def _rows(self) -> list[tuple[object, ...]]:
        return [
            ("sales", self.sales),
            ("returns", self.returns),
            ("sales_total", self.sales_total),
            ("returns_total", self.returns_total),
            ("total", self.total),
            ("net", self.net),
            ("tax", self.tax),
            ("discount", self.discount),
            ("discount_returned", self.discount_returned),
            ("items", self.items),
            ("items_returned", self.items_returned),
            ("average_basket", self.average_basket),
            ("items_per_basket", self.items_per_basket),
            ("returns_rate", self.returns_rate),
        ]


@attrs.frozen
class DaySales:
    """One local day's receipts."""

    day: date
    """The local date."""
    sales: int
    """Sale receipts."""
    returns: int
    """Return receipts."""
    total: Money
    """Sales and returns netted, tax included."""
    net: Money
    """Sales and returns netted, before tax."""


@attrs.frozen
class SalesByDay(_Tabular):
    """Every local day of a period, days without receipts included (as zeros)."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    days: tuple[DaySales, ...]
    """One row per day, in date order."""

    def _title(self) -> str:
        return f"Sales by day {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("day", "sales", "returns", "total", "net")

    def _rows(self) -> list[tuple[object, ...]]:
        return [(d.day, d.sales, d.returns, d.total, d.net) for d in self.days]


@attrs.frozen
class HourWeekdayHeatmap(_Tabular):
    """Sale receipts by local weekday (Monday 0) and hour (0-23), and their totals."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    counts: tuple[tuple[int, ...], ...]
    """``counts[weekday][hour]``: sale receipts (returns are not counted)."""
    totals: tuple[tuple[Money, ...], ...]
    """``totals[weekday][hour]``: sales and returns netted, tax included."""

    def _title(self) -> str:
        return f"Sales by weekday and hour {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("weekday", "hour", "sales", "total")

    def _rows(self) -> list[tuple[object, ...]]:
        return [
            (_WEEKDAYS[w], h, self.counts[w][h], self.totals[w][h])
            for w in range(7)
            for h in range(24)
        ]

    def as_text(self, width: int = 80) -> str:
        """A grid of sale counts: weekdays down, hours across (cut at ``width``)."""
        cell = max(2, max(len(str(n)) for row in self.counts for n in row))
        hours = [h for h in range(24) if any(self.counts[w][h] for w in range(7))] or [0]
        hours = list(range(hours[0], hours[-1] + 1))  # the opening hours, without gaps
        lines = [self._title()[:width], "    " + " ".join(f"{h:>{cell}}" for h in hours)]
        for w in range(7):
            lines.append(
                f"{_WEEKDAYS[w]} " + " ".join(f"{self.counts[w][h]:>{cell}}" for h in hours)
            )
        return "\n".join(line[:width].rstrip() for line in lines) + "\n"


@attrs.frozen
class CategorySales(_Tabular):
    """Unvoided lines by product category (``None``: no category, or not in the catalog)."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    rows: tuple[tuple[str | None, int, Decimal, Money, Money], ...]
    """(category, lines, quantity, net, gross), returns netted in."""

    def _title(self) -> str:
        return f"Sales by category {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("category", "lines", "quantity", "net", "gross")

    def _rows(self) -> list[tuple[object, ...]]:
        return list(self.rows)


@attrs.frozen
class TenderSales(_Tabular):
    """What each tender kind took (refunds negative)."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    rows: tuple[tuple[str, int, Money], ...]
    """(tender kind, tenders, amount)."""

    def _title(self) -> str:
        return f"Sales by tender {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("tender", "count", "amount")

    def _rows(self) -> list[tuple[object, ...]]:
        return list(self.rows)


@attrs.frozen
class ProductSales:
    """One product's sales in a period, returns netted in."""

    sku: str
    """The SKU."""
    name: str
    """Its catalog name (the SKU if it is no longer in the catalog)."""
    quantity: Decimal
    """Quantity sold."""
    net: Money
    """Revenue before tax."""
    gross: Money
    """Revenue, tax included."""
    cost: Money | None = None
    """Cost of the goods sold (quantity out x unit cost when sold), if known for all of it."""

    @property
    def margin(self) -> Money | None:
        """``net - cost``; None when the cost is not known."""
        return None if self.cost is None else self.net - self.cost

    @property
    def margin_rate(self) -> Decimal | None:
        """``margin / net`` to four places (0.3125 is 31.25 %); None without cost or revenue."""
        margin = self.margin
        if margin is None or not self.net.amount:
            return None
        return _RATIO.divide(margin.amount, self.net.amount).quantize(_FOUR, context=_RATIO)


@attrs.frozen
class TopProducts(_Tabular):
    """The best-selling products of a period, by revenue, quantity or margin.

    Gift cards are not products sold (the money is a liability) and are left out.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    by: str
    """``"revenue"``, ``"quantity"``, ``"margin"``; ``"slowest"`` from ``slow_movers``."""
    products: tuple[ProductSales, ...]
    """Best first (slowest first for slow movers); ties by SKU."""

    _shrink = 1

    def _title(self) -> str:
        return f"Top products by {self.by} {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("sku", "name", "quantity", "net", "gross", "cost", "margin")

    def _rows(self) -> list[tuple[object, ...]]:
        return [
            (p.sku, p.name, p.quantity, p.net, p.gross, p.cost, p.margin) for p in self.products
        ]


@attrs.frozen
class Margins(_Tabular):
    """Revenue, cost of goods sold and margin of a period, where the cost is known.

    A product's cost is the quantity that left stock times the unit cost at the
    time (returns put back at theirs), summed exactly and rounded half up once
    per product. Products without a known cost for everything sold (services,
    untracked items, stock received without a cost) are counted apart in
    ``uncosted_net`` and are not in the margin.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    products: tuple[ProductSales, ...]
    """Every product sold, best margin first (uncosted last); ties by SKU."""
    net: Money
    """Revenue before tax of every product (gift cards excluded)."""
    costed_net: Money
    """... of the products whose cost is known."""
    cost: Money
    """Their cost of goods sold."""

    _shrink = 1

    @property
    def uncosted_net(self) -> Money:
        """Revenue of the products whose cost is not known."""
        return self.net - self.costed_net

    @property
    def margin(self) -> Money:
        """``costed_net - cost``."""
        return self.costed_net - self.cost

    @property
    def margin_rate(self) -> Decimal | None:
        """``margin / costed_net`` to four places; None without costed revenue."""
        if not self.costed_net.amount:
            return None
        return _RATIO.divide(self.margin.amount, self.costed_net.amount).quantize(
            _FOUR, context=_RATIO
        )

    def _title(self) -> str:
        rate = "" if self.margin_rate is None else f" ({self.margin_rate * 100:.2f} %)"
        return f"Margin {_period(self.start, self.end)}: {_cell(self.margin)}{rate}"

    def _header(self) -> tuple[str, ...]:
        return ("sku", "name", "quantity", "net", "cost", "margin", "margin_rate")

    def _rows(self) -> list[tuple[object, ...]]:
        return [
            (p.sku, p.name, p.quantity, p.net, p.cost, p.margin, p.margin_rate)
            for p in self.products
        ]


@attrs.frozen
class PromotionDiscount:
    """What one promotion took off in a period."""

    promotion_id: str
    """The promotion's id (``"manual"`` for the cashiers' discounts)."""
    description: str
    """As the receipts printed it (the latest wording)."""
    receipts: int
    """Sale receipts it applied to."""
    amount: Money
    """How much it took off (positive)."""


@attrs.frozen
class DiscountsByPromotion(_Tabular):
    """Discounts given on the period's sale receipts, per promotion and manual.

    ``total`` equals :attr:`SalesSummary.discount` for the same period. Returns
    refund a line's share of its discounts (:attr:`SalesSummary.discount_returned`);
    that share is not split by promotion.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    promotions: tuple[PromotionDiscount, ...]
    """Largest first, then by id."""
    manual: Money
    """Taken off by hand (line and sale discounts entered at the till)."""

    _shrink = 1

    @property
    def total(self) -> Money:
        """Promotions and manual discounts together."""
        return sum((p.amount for p in self.promotions), self.manual)

    def _title(self) -> str:
        return f"Discounts by promotion {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("promotion", "description", "receipts", "amount")

    def _rows(self) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = [
            (p.promotion_id, p.description, p.receipts, p.amount) for p in self.promotions
        ]
        rows.append(("manual", "Manual discounts", None, self.manual))
        rows.append(("total", "", None, self.total))
        return rows


@attrs.frozen
class TaxRateSales(_Tabular):
    """Net, tax and gross per tax rate, sales and returns netted (from the receipts)."""

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    rows: tuple[tuple[str, Decimal, Money, Money, Money], ...]
    """(rate code, percent, net, tax, gross)."""

    def _title(self) -> str:
        return f"Sales by tax rate {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("rate", "percent", "net", "tax", "gross")

    def _rows(self) -> list[tuple[object, ...]]:
        return list(self.rows)


@attrs.frozen
class SlowMover:
    """A product not sold since the cut-off."""

    sku: str
    """The SKU."""
    name: str
    """Its catalog name."""
    last_sold: datetime | None
    """When it was last sold (UTC), or None if never."""


@attrs.frozen
class SlowMovers(_Tabular):
    """Active catalog goods not sold since ``since``: never sold first, then oldest sale."""

    since: datetime
    """The cut-off (UTC)."""
    products: tuple[SlowMover, ...]
    """The products."""

    _shrink = 1

    def _title(self) -> str:
        return f"Not sold since {self.since.isoformat()}"

    def _header(self) -> tuple[str, ...]:
        return ("sku", "name", "last_sold")

    def _rows(self) -> list[tuple[object, ...]]:
        return [(p.sku, p.name, p.last_sold) for p in self.products]


# ---- the facade ----------------------------------------------------------------------


class Analytics:
    """Sales analytics over local dates: ``Analytics(store).summary(date(...), date(...))``.

    A period is ``[start, end)`` of local dates in ``store.settings.timezone``
    (daylight saving included). ``register_id`` and ``operator_id`` narrow it
    to one till or one cashier. The database does the sums.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._code = store.settings.currency
        self._zone = ZoneInfo(store.settings.timezone)

    def _where(
        self, start: date, end: date, register_id: str | None, operator_id: str | None
    ) -> SalesFilter:
        if not start < end:
            raise ReportError(f"a period needs start < end, got {start} to {end}")
        tz = self._store.settings.timezone
        return SalesFilter(
            self._code,
            business_day_range(start, tz)[0],
            business_day_range(end, tz)[0],
            register_id,
            operator_id,
        )

    def _fixed_offset(self, start: date, end: date) -> int | None:
        """The zone's UTC offset in minutes if one holds for the whole period, else None.

        Checked at every local midnight from ``start`` to ``end``: a change inside
        the period makes two of them differ.
        """
        offsets = set()
        day = start
        while day <= end:
            midnight = datetime.combine(day, time(0), self._zone)
            offsets.add(midnight.utcoffset())
            day += timedelta(days=1)
        if len(offsets) != 1:
            return None
        (offset,) = offsets
        return None if offset is None else int(offset.total_seconds()) // 60

    def _money(self, minor: int) -> Money:
        return Money.from_minor(minor, self._code)

    def summary(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> SalesSummary:
        """Counts and totals of the receipts completed from ``start`` up to ``end``."""
        where = self._where(start, end, register_id, operator_id)
        rows = {r[0]: r[1:] for r in self._store._read(lambda u: list(u.sales_by_kind(where)))}
        zero = (0,) * 8
        s, r = rows.get("sale", zero), rows.get("return", zero)
        return SalesSummary(
            start=start,
            end=end,
            sales=s[0],
            returns=r[0],
            sales_total=self._money(s[5]),
            returns_total=self._money(r[5]),
            net=self._money(s[3] + r[3]),
            tax=self._money(s[4] + r[4]),
            discount=self._money(s[2]),
            discount_returned=self._money(r[2]),
            items=_qty(s[6]),
            items_returned=_qty(r[6]),
        )

    def _buckets(self, where: SalesFilter) -> list[tuple[datetime, int, int, int, int]]:
        def read(uow: UnitOfWork) -> list[tuple[datetime, int, int, int, int]]:
            return list(uow.sales_by_bucket(where))

        return self._store._read(read)

    def by_day(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> SalesByDay:
        """Each local day's receipts, from ``start`` up to ``end``."""
        where = self._where(start, end, register_id, operator_id)
        offset = self._fixed_offset(start, end)
        days: dict[date, list[int]] = {}
        if offset is not None:  # the database can name the local day itself

            def read(uow: UnitOfWork) -> list[tuple[date, int, int, int, int]]:
                return list(uow.sales_by_local_day(where, offset))

            for d, *figures in self._store._read(read):
                days[d] = figures
        else:  # an offset change inside: fold UTC quarter-hours into local days
            for at, *figures in self._buckets(where):
                acc = days.setdefault(at.astimezone(self._zone).date(), [0, 0, 0, 0])
                for i, v in enumerate(figures):
                    acc[i] += v
        rows = []
        day = start
        while day < end:
            n, r, total, net = days.get(day, (0, 0, 0, 0))
            rows.append(DaySales(day, n, r, self._money(total), self._money(net)))
            day += timedelta(days=1)
        return SalesByDay(start, end, tuple(rows))

    def heatmap(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> HourWeekdayHeatmap:
        """Sale receipts by local weekday and hour, from ``start`` up to ``end``."""
        where = self._where(start, end, register_id, operator_id)
        counts = [[0] * 24 for _ in range(7)]
        totals = [[0] * 24 for _ in range(7)]
        for at, n, _, total, _ in self._buckets(where):
            local = at.astimezone(self._zone)
            counts[local.weekday()][local.hour] += n
            totals[local.weekday()][local.hour] += total
        return HourWeekdayHeatmap(
            start,
            end,
            tuple(tuple(row) for row in counts),
            tuple(tuple(self._money(v) for v in row) for row in totals),
        )

    def by_category(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> CategorySales:
        """Unvoided lines by product category, from ``start`` up to ``end``.

        Gift cards sold are money put on a card, not goods: they are left out
        (the Z report and the gift card liability show them).
        """
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> CategorySales:
            rows = tuple(
                (c, n, _qty(q), self._money(net), self._money(gross))
                for c, n, q, net, gross in uow.sales_by_category(where)
            )
            return CategorySales(start, end, rows)

        return self._store._read(read)

    def by_tender(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> TenderSales:
        """What each tender kind took, from ``start`` up to ``end``."""
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> TenderSales:
            rows = tuple((k, n, self._money(a)) for k, n, a in uow.tenders_taken(where))
            return TenderSales(start, end, rows)

        return self._store._read(read)

    def top_products(
        self,
        start: date,
        end: date,
        *,
        by: Literal["revenue", "quantity", "margin"] = "revenue",
        limit: int = 20,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> TopProducts:
        """The ``limit`` best-selling products by gross revenue, quantity or margin.

        By revenue or quantity the database ranks and cuts (SQL LIMIT), then the
        costs of those products are read; by margin every product sold is costed
        (one row per product, as :meth:`margins`). Gift cards are left out.
        """
        if by not in ("revenue", "quantity", "margin"):
            raise ReportError(
                f"top products are ranked by 'revenue', 'quantity' or 'margin', not {by!r}"
            )
        if limit < 1:
            raise ReportError(f"limit must be at least 1, got {limit}")
        if by == "margin":
            margins = self.margins(start, end, register_id=register_id, operator_id=operator_id)
            best = tuple(p for p in margins.products if p.cost is not None)[:limit]
            return TopProducts(start, end, by, best)
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> TopProducts:
            rows = list(uow.top_products(where, by, limit))
            costs = self._costs(uow.product_costs(where, [r[0] for r in rows]))
            products = tuple(
                ProductSales(
                    sku,
                    name or sku,
                    _qty(q),
                    self._money(net),
                    self._money(gross),
                    costs.get(sku),
                )
                for sku, name, q, net, gross in rows
            )
            return TopProducts(start, end, by, products)

        return self._store._read(read)

    def _costs(self, rows: Iterable[tuple[str, str | None, int]]) -> dict[str, Money | None]:
        """Each SKU's cost of goods sold: exact sums rounded half up once; None if unknown.

        A SKU with any movement without a known cost has no cost (not zero).
        """
        exact: dict[str, Decimal | None] = {}
        for sku, unit_cost, quantity in rows:
            if sku in exact and exact[sku] is None:
                continue
            if unit_cost is None:
                exact[sku] = None
                continue
            moved = EXACT.multiply(_qty(quantity), Decimal(unit_cost))
            exact[sku] = EXACT.add(exact.get(sku) or Decimal(0), moved)
        return {
            sku: None if v is None else Money(v, self._code).round(mode=RoundingMode.HALF_UP)
            for sku, v in exact.items()
        }

    def margins(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> Margins:
        """Revenue, cost of goods sold and margin per product, from ``start`` up to ``end``.

        One row per product sold, not per sale: the database sums each product's
        lines and its stock movements by cost.
        """
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> Margins:
            costs = self._costs(uow.product_costs(where))
            zero = Money.zero(self._code)
            net = costed = cost = zero
            products = []
            for sku, name, q, n, g in uow.sales_by_product(where):
                p = ProductSales(
                    sku, name or sku, _qty(q), self._money(n), self._money(g), costs.get(sku)
                )
                products.append(p)
                net += p.net
                if p.cost is not None:
                    costed += p.net
                    cost += p.cost
            products.sort(key=lambda p: (p.margin is None, -(p.margin or zero).amount, p.sku))
            return Margins(start, end, tuple(products), net, costed, cost)

        return self._store._read(read)

    def discounts_by_promotion(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> DiscountsByPromotion:
        """What each promotion, and the cashiers by hand, took off sales in the period."""
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> DiscountsByPromotion:
            promotions = tuple(
                PromotionDiscount(pid, text, n, self._money(amount))
                for pid, text, n, amount in uow.discounts_by_promotion(where)
            )
            sales = {r[0]: r[3] for r in uow.sales_by_kind(where)}.get("sale", 0)
            given = sum((p.amount for p in promotions), Money.zero(self._code))
            return DiscountsByPromotion(start, end, promotions, self._money(sales) - given)

        return self._store._read(read)

    def by_tax_rate(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> TaxRateSales:
        """Net, tax and gross per tax rate, from ``start`` up to ``end``."""
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> TaxRateSales:
            rows = tuple(
                (
                    code,
                    Decimal(percent),
                    self._money(net),
                    self._money(tax),
                    self._money(net + tax),
                )
                for code, percent, net, tax in uow.tax_by_rate(where)
            )
            return TaxRateSales(start, end, rows)

        return self._store._read(read)

    def slow_movers(
        self,
        start: date,
        end: date,
        *,
        limit: int = 20,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> TopProducts:
        """The ``limit`` active catalog goods that sold least from ``start`` up to ``end``.

        Goods with no sale at all come first, then by quantity and revenue
        (returns netted in, so a sale given back counts 0), ties by SKU. One row per product in
        SQL, cut by ``LIMIT``. For goods unsold for a while by the clock, see
        :meth:`not_sold_since`.
        """
        if limit < 1:
            raise ReportError(f"limit must be at least 1, got {limit}")
        where = self._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> TopProducts:
            products = tuple(
                ProductSales(sku, name, _qty(q), self._money(net), self._money(gross))
                for sku, name, q, net, gross in uow.slowest_products(where, limit)
            )
            return TopProducts(start, end, "slowest", products)

        return self._store._read(read)

    def not_sold_since(self, days: int) -> SlowMovers:
        """Active catalog goods with no sale in the last ``days`` days (by the store's clock)."""
        if days < 0:
            raise ReportError(f"days must not be negative, got {days}")
        since = self._store.clock.now() - timedelta(days=days)

        def read(uow: UnitOfWork) -> SlowMovers:
            rows = uow.products_not_sold_since(self._code, since)
            return SlowMovers(since, tuple(SlowMover(s, n, last) for s, n, last in rows))

        return self._store._read(read)
