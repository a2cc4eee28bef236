"""Customer reports: new vs returning, visit frequency, RFM segments and demographics.

The database sums per customer or per group (``CustomerReportsUnitOfWork``);
this module classifies, scores, merges small groups and renders text, CSV and
JSON with the same renderers as the sales analytics. No sale is loaded.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import attrs

from possdk.core._money import Money
from possdk.errors import ReportError
from possdk.reports._analytics import _CENT, _RATIO, Analytics, _period, _Tabular

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage._backend import UnitOfWork

__all__ = [
    "CustomerReports",
    "CustomerRfm",
    "CustomerSales",
    "DemographicGroup",
    "Demographics",
    "NewVsReturning",
    "RfmReport",
    "RfmSegment",
    "RfmSegmentTotals",
    "VisitBucket",
    "VisitFrequency",
]

AGE_BANDS = ("Under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
"""The age bands, youngest first."""
_AGE_BOUNDS = (18, 25, 35, 45, 55, 65)  # the first age of each band after the first
UNKNOWN = "Unknown"
"""The group of customers whose attribute is not known (or who were erased)."""
OTHER = "Other"
"""The group small groups are merged into."""
VISIT_BUCKETS = ((1, 1), (2, 2), (3, 4), (5, 9), (10, None))
"""Visit-frequency buckets: (fewest, most or None for no limit) sale receipts."""
_SHARE = Decimal("0.0001")


def _share(part: int, whole: int) -> Decimal:
    """``part / whole`` to four places, half up (zero when ``whole`` is zero)."""
    if not whole:
        return Decimal(0)
    return _RATIO.divide(Decimal(part), Decimal(whole)).quantize(_SHARE, context=_RATIO)


# ---- pure rules ----------------------------------------------------------------------


def quintile_scores(values: Sequence[int]) -> list[int]:
    """Score each value 1-5 by its quintile among ``values`` (higher values score higher).

    A value's score is ``1 + floor(5 * (below + equal / 2) / n)``: its mid-rank
    percentile, so equal values always share a score and the result does not
    depend on the order the values come in. With ``n`` distinct values each
    fifth of them gets one score; a lone value (or all equal) scores 3.
    """
    ordered = sorted(values)
    n = len(ordered)
    scores = []
    for v in values:
        below = bisect_left(ordered, v)
        equal = bisect_right(ordered, v) - below
        scores.append(1 + (5 * (2 * below + equal)) // (2 * n))
    return scores


@attrs.frozen
class Suppression:
    """How :func:`suppress_small_groups` split the groups (labels only, in input order)."""

    shown: tuple[str, ...]
    """Groups shown on their own: each has at least ``k`` customers."""
    merged: tuple[str, ...]
    """Groups merged into "Other": together at least ``k`` customers, or none."""
    hidden: tuple[str, ...]
    """Every group, when all of them together have fewer than ``k`` customers."""


def suppress_small_groups(counts: Mapping[str, int], k: int) -> Suppression:
    """Merge or hide groups so that no group of fewer than ``k`` customers can be seen.

    The rule: a group with fewer than ``k`` customers is merged into "Other".
    If "Other" then holds fewer than ``k`` (but some), the smallest group
    still shown (the earlier one on a tie) is merged into it too, and again,
    until "Other" reaches ``k``; so a small group cannot be recovered by
    subtracting the shown groups from the total, and "Other" is never one
    group alone. If all groups together have fewer than ``k`` customers,
    nothing is shown (every group is hidden). Groups with no customers are
    left out of the result.
    """
    if k < 1:
        raise ReportError(f"k must be at least 1, got {k}")
    labels = [g for g, n in counts.items() if n > 0]
    if sum(counts[g] for g in labels) < k:
        return Suppression((), (), tuple(labels))
    shown = [g for g in labels if counts[g] >= k]
    merged = {g for g in labels if counts[g] < k}
    other = sum(counts[g] for g in merged)
    # Smallest first, the earlier on a tie: the order shown groups join Other in.
    joining = iter(sorted(shown, key=lambda g: counts[g]))  # sorted() is stable
    while merged and other < k:
        smallest = next(joining)
        merged.add(smallest)
        other += counts[smallest]
    return Suppression(
        tuple(g for g in shown if g not in merged), tuple(g for g in labels if g in merged), ()
    )


# ---- results -----------------------------------------------------------------------


@attrs.frozen
class CustomerSales:
    """What a group of customers' receipts came to in a period (returns negative)."""

    customers: int | None
    """Customers in the group (None for anonymous receipts: nobody is named)."""
    sales: int
    """Sale receipts."""
    returns: int
    """Return receipts."""
    sales_total: Money
    """What the sale receipts came to, tax included."""
    returns_total: Money
    """What the return receipts gave back, tax included (negative)."""

    @property
    def total(self) -> Money:
        """Sales and returns netted, tax included."""
        return self.sales_total + self.returns_total

    def __add__(self, other: CustomerSales) -> CustomerSales:
        customers = (
            None
            if self.customers is None and other.customers is None
            else (self.customers or 0) + (other.customers or 0)
        )
        return CustomerSales(
            customers,
            self.sales + other.sales,
            self.returns + other.returns,
            self.sales_total + other.sales_total,
            self.returns_total + other.returns_total,
        )


@attrs.frozen
class NewVsReturning(_Tabular):
    """A period's receipts by new customers, returning customers and nobody named.

    A customer is **new** when their first sale receipt ever falls in the
    period, **returning** otherwise (they bought before; a customer with only
    a return in the period is returning too). A return counts for the customer
    named on it, or else for the customer of the sale it gives back.
    ``new + returning + anonymous`` is every receipt of the period, so the
    loyalty members' share of sales is here too: :attr:`members_share`.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    new: CustomerSales
    """Customers whose first sale receipt ever is in the period."""
    returning: CustomerSales
    """Customers seen before the period."""
    anonymous: CustomerSales
    """Receipts naming no customer (``customers`` is None)."""

    @property
    def members(self) -> CustomerSales:
        """The loyalty members' receipts: new and returning together."""
        return self.new + self.returning

    @property
    def overall(self) -> CustomerSales:
        """Every receipt of the period (``customers`` counts the members)."""
        return self.members + self.anonymous

    @property
    def members_share(self) -> Decimal:
        """The members' sales total over all sales' total, to four places (0.25 is 25 %)."""
        return _share(self.members.sales_total.minor, self.overall.sales_total.minor)

    @property
    def members_receipt_share(self) -> Decimal:
        """The members' sale receipts over all sale receipts, to four places."""
        return _share(self.members.sales, self.overall.sales)

    def _title(self) -> str:
        return f"New and returning customers {_period(self.start, self.end)}"

    def _header(self) -> tuple[str, ...]:
        return ("group", "customers", "sales", "sales_total", "total", "share", "receipt_share")

    def _rows(self) -> list[tuple[object, ...]]:
        everyone = self.overall
        rows: list[tuple[object, ...]] = []
        for name, group in (
            ("new", self.new),
            ("returning", self.returning),
            ("members", self.members),
            ("anonymous", self.anonymous),
            ("all", everyone),
        ):
            rows.append(
                (
                    name,
                    group.customers,
                    group.sales,
                    group.sales_total,
                    group.total,
                    _share(group.sales_total.minor, everyone.sales_total.minor),
                    _share(group.sales, everyone.sales),
                )
            )
        return rows


@attrs.frozen
class VisitBucket:
    """Customers who came a given number of times (sale receipts) in a period."""

    label: str
    """``"1"``, ``"2"``, ``"3-4"``, ``"5-9"`` or ``"10+"``."""
    fewest: int
    """The fewest sale receipts in the bucket."""
    most: int | None
    """The most sale receipts in the bucket (None: no limit)."""
    customers: int
    """Customers in the bucket."""
    sales: int
    """Their sale receipts."""
    sales_total: Money
    """What those receipts came to, tax included."""


@attrs.frozen
class VisitFrequency(_Tabular):
    """Customers by how many sale receipts they had in a period: 1, 2, 3-4, 5-9, 10+.

    A customer with only returns in the period made no visit and is not counted.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    buckets: tuple[VisitBucket, ...]
    """Every bucket, fewest visits first (empty ones as zeros)."""

    @property
    def customers(self) -> int:
        """Customers with at least one sale receipt."""
        return sum(b.customers for b in self.buckets)

    @property
    def sales(self) -> int:
        """Their sale receipts."""
        return sum(b.sales for b in self.buckets)

    @property
    def average_visits(self) -> Decimal:
        """Sale receipts per customer, to two places (zero without customers)."""
        if not self.customers:
            return Decimal(0)
        visits = _RATIO.divide(Decimal(self.sales), Decimal(self.customers))
        return visits.quantize(_CENT, context=_RATIO)

    def _title(self) -> str:
        return (
            f"Visit frequency {_period(self.start, self.end)}: "
            f"{self.average_visits} visits per customer"
        )

    def _header(self) -> tuple[str, ...]:
        return ("visits", "customers", "sales", "sales_total")

    def _rows(self) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = [
            (b.label, b.customers, b.sales, b.sales_total) for b in self.buckets
        ]
        total = sum((b.sales_total for b in self.buckets[1:]), self.buckets[0].sales_total)
        rows.append(("all", self.customers, self.sales, total))
        return rows


class RfmSegment(enum.Enum):
    """A customer's RFM segment, named from their recency (R) and frequency (F) scores.

    The common R x F grid (rows R, columns F), with its "Promising" cell
    folded into New, "About to sleep" into Hibernating, "Need attention" into
    Potential loyalists, and the oldest one-or-two-visit customers called Lost.
    M is scored and reported but, as in that grid, does not pick the segment::

              F=1          F=2          F=3          F=4          F=5
        R=5   New          Potential    Potential    Champions    Champions
        R=4   New          Potential    Potential    Loyal        Loyal
        R=3   Hibernating  Hibernating  Potential    Loyal        Loyal
        R=2   Hibernating  Hibernating  At risk      At risk      Can't lose
        R=1   Lost         Lost         At risk      At risk      Can't lose
    """

    CHAMPIONS = "Champions"
    """Bought lately and often."""
    LOYAL = "Loyal"
    """Buy often, fairly lately."""
    POTENTIAL_LOYALISTS = "Potential loyalists"
    """Recent customers with a few visits."""
    NEW = "New"
    """Recent, one visit's worth of frequency."""
    AT_RISK = "At risk"
    """Used to buy often, not lately."""
    CANT_LOSE_THEM = "Can't lose them"
    """Bought most often of all, but not lately."""
    HIBERNATING = "Hibernating"
    """Few visits, a while ago."""
    LOST = "Lost"
    """Few visits, longest ago."""

    @classmethod
    def for_scores(cls, recency: int, frequency: int) -> RfmSegment:
        """The segment of R and F scores (each 1-5), by the grid above."""
        if not (1 <= recency <= 5 and 1 <= frequency <= 5):
            raise ReportError(f"RFM scores run 1 to 5, got R={recency} F={frequency}")
        return _GRID[5 - recency][frequency - 1]


_C, _L, _P, _N = (
    RfmSegment.CHAMPIONS,
    RfmSegment.LOYAL,
    RfmSegment.POTENTIAL_LOYALISTS,
    RfmSegment.NEW,
)
_A, _K, _H, _X = (
    RfmSegment.AT_RISK,
    RfmSegment.CANT_LOSE_THEM,
    RfmSegment.HIBERNATING,
    RfmSegment.LOST,
)
_GRID = (  # rows R=5 down to R=1, columns F=1 to F=5: the grid in RfmSegment's docstring
    (_N, _P, _P, _C, _C),
    (_N, _P, _P, _L, _L),
    (_H, _H, _P, _L, _L),
    (_H, _H, _A, _A, _K),
    (_X, _X, _A, _A, _K),
)


@attrs.frozen
class CustomerRfm:
    """One customer's recency, frequency and monetary value, their scores and segment."""

    customer_id: str
    """The customer's id."""
    recency: int
    """Days from their last sale receipt's local date to ``as_of`` (0: that day)."""
    frequency: int
    """Sale receipts in the window."""
    monetary: Money
    """What they spent in the window, net of returns, tax included."""
    r: int
    """Recency score, 1-5 (5: the most recent)."""
    f: int
    """Frequency score, 1-5 (5: the most often)."""
    m: int
    """Monetary score, 1-5 (5: spent the most)."""
    segment: RfmSegment
    """The segment R and F put them in."""

    @property
    def score(self) -> str:
        """The three scores as one code, R then F then M (``"545"``)."""
        return f"{self.r}{self.f}{self.m}"


@attrs.frozen
class RfmSegmentTotals:
    """One RFM segment's customers and what they bought in the window."""

    segment: RfmSegment
    """The segment."""
    customers: int
    """Customers in it."""
    sales: int
    """Their sale receipts."""
    monetary: Money
    """What they spent, net of returns, tax included."""


@attrs.frozen
class RfmReport(_Tabular):
    """RFM segments of the customers who bought in a window, and each customer's scores.

    The renderers give the segment table (the report); :attr:`customers` is
    the per-customer detail for a CRM: ``for c in report.customers: ...``.
    """

    as_of: date
    """The local date recency is measured to (the window's last day)."""
    days: int
    """The window: this many local days, up to and including ``as_of``."""
    segments: tuple[RfmSegmentTotals, ...]
    """Every segment in :class:`RfmSegment` order, empty ones as zeros."""
    customers: tuple[CustomerRfm, ...]
    """Every customer with a sale receipt in the window, by id."""

    def _title(self) -> str:
        start = self.as_of - timedelta(days=self.days - 1)
        return f"RFM segments {start.isoformat()} to {self.as_of.isoformat()}"

    def _header(self) -> tuple[str, ...]:
        return ("segment", "customers", "sales", "monetary")

    def _rows(self) -> list[tuple[object, ...]]:
        return [(s.segment.value, s.customers, s.sales, s.monetary) for s in self.segments]


@attrs.frozen
class DemographicGroup:
    """One demographic group's customers and their receipts in a period."""

    group: str
    """An age band, a postcode prefix, ``"Unknown"`` or ``"Other"``."""
    customers: int
    """Customers in the group (at least ``k``)."""
    sales: int
    """Their sale receipts."""
    total: Money
    """Their sales and returns netted, tax included."""


@attrs.frozen
class Demographics(_Tabular):
    """Customers with a receipt in a period by age band or area, small groups merged.

    Every group shown has at least ``k`` customers. Groups with fewer are
    merged into "Other"; if "Other" still has fewer than ``k``, the smallest
    shown groups join it until it has ``k``, so no small group can be worked
    out from the total. If the customers altogether are fewer than ``k``,
    no group is shown and :attr:`suppressed` counts them.
    """

    start: date
    """First local date of the period."""
    end: date
    """The local date after the period."""
    by: str
    """``"age_band"`` or ``"area"``."""
    k: int
    """The smallest group shown."""
    groups: tuple[DemographicGroup, ...]
    """Age bands youngest first (or areas in order), then Unknown, then Other."""
    suppressed: int
    """Customers not shown at all (fewer than ``k`` in all); otherwise 0."""

    @property
    def customers(self) -> int:
        """Every customer with a receipt in the period, shown or not."""
        return sum(g.customers for g in self.groups) + self.suppressed

    def _title(self) -> str:
        what = "age band" if self.by == "age_band" else "area"
        return f"Customers by {what} {_period(self.start, self.end)}, groups of {self.k}+"

    def _header(self) -> tuple[str, ...]:
        return ("group", "customers", "sales", "total")

    def _rows(self) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = [
            (g.group, g.customers, g.sales, g.total) for g in self.groups
        ]
        if self.suppressed:
            rows.append(("suppressed", self.suppressed, None, None))
        return rows


# ---- the facade ----------------------------------------------------------------------


class CustomerReports:
    """Customer reports over local dates: ``CustomerReports(store).new_vs_returning(...)``.

    A period is ``[start, end)`` of local dates in ``store.settings.timezone``,
    as in :class:`~possdk.reports.Analytics`. The database sums per customer
    (streamed) or per group; no sale is loaded. A return counts for the
    customer named on it, or else for the customer of the sale it gives back.
    Every report narrows to one till with ``register_id=`` and one cashier
    with ``operator_id=`` (whether a customer is new is always judged over
    the whole store).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._code = store.settings.currency
        self._zone = ZoneInfo(store.settings.timezone)
        self._analytics = Analytics(store)  # its period rules, shared

    def _money(self, minor: int) -> Money:
        return Money.from_minor(minor, self._code)

    def _sales(self, customers: int | None, figures: Sequence[int]) -> CustomerSales:
        n, r, sold, returned = figures
        return CustomerSales(customers, n, r, self._money(sold), self._money(returned))

    def new_vs_returning(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> NewVsReturning:
        """New and returning customers' receipts, anonymous ones, and the members' share."""
        where = self._analytics._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> NewVsReturning:
            new, returning = [0] * 5, [0] * 5  # customers, sales, returns, totals
            for a in uow.customer_activity(where):
                first = a.first_ever_sale
                acc = new if first is not None and where.start <= first < where.end else returning
                acc[0] += 1
                acc[1] += a.sales
                acc[2] += a.returns
                acc[3] += a.sales_total
                acc[4] += a.returns_total
            anonymous = (0, 0, 0, 0)
            for identified, *figures in uow.sales_by_identification(where):
                if not identified:
                    anonymous = (figures[0], figures[1], figures[2], figures[3])
            return NewVsReturning(
                start,
                end,
                self._sales(new[0], new[1:]),
                self._sales(returning[0], returning[1:]),
                self._sales(None, anonymous),
            )

        return self._store._read(read)

    def visit_frequency(
        self,
        start: date,
        end: date,
        *,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> VisitFrequency:
        """Customers by their sale receipts in the period: 1, 2, 3-4, 5-9 and 10 or more."""
        where = self._analytics._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> list[list[int]]:
            counts = [[0, 0, 0] for _ in VISIT_BUCKETS]  # customers, sales, total
            for a in uow.customer_activity(where):
                if not a.sales:
                    continue
                i = next(
                    i
                    for i, (_, most) in enumerate(VISIT_BUCKETS)
                    if most is None or a.sales <= most
                )
                counts[i][0] += 1
                counts[i][1] += a.sales
                counts[i][2] += a.sales_total
            return counts

        counts = self._store._read(read)
        buckets = tuple(
            VisitBucket(
                f"{fewest}" if fewest == most else f"{fewest}-{most}" if most else f"{fewest}+",
                fewest,
                most,
                n,
                sales,
                self._money(total),
            )
            for (fewest, most), (n, sales, total) in zip(VISIT_BUCKETS, counts, strict=True)
        )
        return VisitFrequency(start, end, buckets)

    def rfm(
        self,
        as_of: date,
        *,
        days: int = 365,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> RfmReport:
        """RFM scores and segments of the customers who bought in the ``days`` up to ``as_of``.

        The window is ``days`` local days ending with ``as_of`` (included).
        Recency is the days from a customer's last sale receipt to ``as_of``,
        frequency their sale receipts, monetary what they spent net of
        returns; each is scored 1-5 by quintile among these customers (by
        mid-rank percentile, ``1 + floor(5 * (below + equal / 2) / n)``, so
        equal values share a score) and R and F name the segment
        (:class:`RfmSegment`).
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ReportError(
                f"days must be a whole number of at least 1, got {days!r}; "
                "the window is that many days up to and including as_of"
            )
        start, end = as_of - timedelta(days=days - 1), as_of + timedelta(days=1)
        where = self._analytics._where(start, end, register_id, operator_id)

        def read(uow: UnitOfWork) -> list[tuple[str, int, int, int]]:
            return [
                (
                    a.customer_id,
                    (as_of - a.last_sale.astimezone(self._zone).date()).days,
                    a.sales,
                    a.sales_total + a.returns_total,
                )
                for a in uow.customer_activity(where)
                if a.last_sale is not None  # returns only: no purchase in the window
            ]

        rows = self._store._read(read)
        r_scores = quintile_scores([-recency for _, recency, _, _ in rows])  # sooner is better
        f_scores = quintile_scores([n for _, _, n, _ in rows])
        m_scores = quintile_scores([spent for _, _, _, spent in rows])
        customers = tuple(
            CustomerRfm(cid, recency, n, self._money(spent), r, f, m, RfmSegment.for_scores(r, f))
            for (cid, recency, n, spent), r, f, m in zip(
                rows, r_scores, f_scores, m_scores, strict=True
            )
        )
        totals = {s: [0, 0, 0] for s in RfmSegment}
        for c in customers:
            acc = totals[c.segment]
            acc[0] += 1
            acc[1] += c.frequency
            acc[2] += c.monetary.minor
        segments = tuple(
            RfmSegmentTotals(s, n, sales, self._money(spent))
            for s, (n, sales, spent) in totals.items()
        )
        return RfmReport(as_of, days, segments, customers)

    def demographics(
        self,
        start: date,
        end: date,
        *,
        by: Literal["age_band", "area"] = "age_band",
        k: int = 5,
        area_digits: int = 3,
        register_id: str | None = None,
        operator_id: str | None = None,
    ) -> Demographics:
        """Customers with a receipt in the period and their sales, by age band or area.

        ``by="age_band"``: Under 18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+,
        the age being the year of the period's last day less the birth year.
        ``by="area"``: the first ``area_digits`` characters of the postcode,
        upper case without spaces or hyphens. Customers without the attribute,
        and erased customers, are "Unknown". Groups smaller than ``k`` are
        merged into "Other" or hidden (see :class:`Demographics`).
        """
        if by not in ("age_band", "area"):
            raise ReportError(f"demographics are by 'age_band' or 'area', not {by!r}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ReportError(
                f"k must be a whole number of at least 1, got {k!r}; "
                "use 5 or more to keep individual customers from being seen"
            )
        if isinstance(area_digits, bool) or not isinstance(area_digits, int) or area_digits < 1:
            raise ReportError(
                f"area_digits must be a whole number of at least 1, got {area_digits!r}; "
                "e.g. 3 groups postcodes by their first three characters"
            )
        where = self._analytics._where(start, end, register_id, operator_id)
        reference_year = (end - timedelta(days=1)).year

        def read(uow: UnitOfWork) -> dict[str, tuple[int, int, int]]:
            rows = (
                uow.customers_by_age_band(where, reference_year, _AGE_BOUNDS)
                if by == "age_band"
                else uow.customers_by_area(where, area_digits)
            )
            keyed = {key: (n, sales, total) for key, n, sales, total in rows}
            if by == "age_band":  # youngest first
                labels = dict(enumerate(AGE_BANDS))
            else:
                labels = {key: str(key) for key in keyed if key is not None}
            found = {labels[key]: keyed[key] for key in sorted(labels) if key in keyed}
            if None in keyed:
                found[UNKNOWN] = keyed[None]
            return found

        found = self._store._read(read)
        split = suppress_small_groups({g: n for g, (n, _, _) in found.items()}, k)
        groups = [
            DemographicGroup(g, found[g][0], found[g][1], self._money(found[g][2]))
            for g in split.shown
        ]
        if split.merged:
            n, sales, total = (sum(found[g][i] for g in split.merged) for i in range(3))
            groups.append(DemographicGroup(OTHER, n, sales, self._money(total)))
        suppressed = sum(found[g][0] for g in split.hidden)
        return Demographics(start, end, by, k, tuple(groups), suppressed)
