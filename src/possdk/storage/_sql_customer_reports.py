"""Persistence of customer report queries (read-only SQL aggregates per customer or group).

``CustomerReportsRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``CustomerReportsUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork`
protocol.

The database sums: at most one row per customer (streamed, never all at
once) or per demographic group comes back, never a sale. A receipt counts
for the customer it names; a return that names nobody counts for the
customer of the sale it gives back, so a customer's figures are net of
their returns however the return was rung up.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import sqlalchemy as sa

from possdk.storage import _schema as t
from possdk.storage._schema_loyalty import customers
from possdk.storage._sql_reports import SalesFilter, _filtered

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = [
    "CustomerActivity",
    "CustomerReportsRepository",
    "CustomerReportsUnitOfWork",
    "GroupTotals",
    "IdentifiedTotals",
]

_STREAM = 1000  # rows fetched at a time from the per-customer stream


@attrs.frozen
class CustomerActivity:
    """One customer's receipts in a :class:`SalesFilter`'s range (amounts in minor units)."""

    customer_id: str
    """The customer's id."""
    sales: int
    """Sale receipts."""
    returns: int
    """Return receipts (their own, or against their sales)."""
    sales_total: int
    """What the sale receipts came to, tax included."""
    returns_total: int
    """What the returns gave back, tax included (negative)."""
    first_sale: datetime | None
    """The first sale receipt's completion in the range (UTC); None with returns only."""
    last_sale: datetime | None
    """The last sale receipt's completion in the range (UTC); None with returns only."""
    first_ever_sale: datetime | None
    """Their first sale receipt ever, at any register, in any currency (UTC)."""


IdentifiedTotals = tuple[bool, int, int, int, int]
"""(identified, sales, returns, sales total, returns total): minor units, returns negative."""

GroupTotals = tuple[Any, int, int, int]
"""(group key or None if unknown, customers, sale receipts, total net of returns), minor units."""


class CustomerReportsUnitOfWork(Protocol):
    """The unit of work's methods for customer reports (read-only SQL aggregates)."""

    def customer_activity(self, where: SalesFilter) -> Iterator[CustomerActivity]:
        """Each customer with a receipt in ``where``, by id, streamed from the database."""
        ...

    def sales_by_identification(self, where: SalesFilter) -> Iterator[IdentifiedTotals]:
        """Receipts naming a customer (``True``) and anonymous ones (``False``), summed."""
        ...

    def customers_by_age_band(
        self, where: SalesFilter, reference_year: int, bounds: Sequence[int]
    ) -> Iterator[GroupTotals]:
        """Customers with a receipt in ``where`` grouped by age band, summed.

        The age is ``reference_year`` less the birth year; the key is how many
        of the ascending ``bounds`` it reaches (0 below the first). None: no
        birth year, an erased customer, or an id with no customer record.
        """
        ...

    def customers_by_area(self, where: SalesFilter, digits: int) -> Iterator[GroupTotals]:
        """Customers with a receipt in ``where`` grouped by postcode prefix, summed.

        The key is the first ``digits`` characters of the postcode, upper case
        without spaces or hyphens. None: no postcode, or an erased customer.
        """
        ...


def _customer_of_receipt() -> tuple[sa.FromClause, sa.ColumnElement[Any]]:
    """Sales joined to the sale each return gives back, and whose receipt each one is."""
    returned = t.sales.alias("returned_sale")
    joined = t.sales.outerjoin(returned, returned.c.id == t.sales.c.return_of)
    return joined, sa.func.coalesce(t.sales.c.customer_id, returned.c.customer_id)


def _per_customer(where: SalesFilter) -> sa.Subquery:
    """One row per customer with a receipt in ``where``: counts, totals, first and last sale."""
    s = t.sales.c
    joined, who = _customer_of_receipt()
    is_return = s.kind == "return"

    def when_sale(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.case((is_return, sa.null()), else_=value)

    return (
        sa.select(
            who.label("customer_id"),
            sa.func.count(when_sale(s.total_minor)).label("sales"),
            sa.func.count(sa.case((is_return, s.total_minor))).label("returns"),
            sa.func.coalesce(sa.func.sum(when_sale(s.total_minor)), 0).label("sales_total"),
            sa.func.coalesce(sa.func.sum(sa.case((is_return, s.total_minor))), 0).label(
                "returns_total"
            ),
            sa.func.min(when_sale(s.completed_at)).label("first_sale"),
            sa.func.max(when_sale(s.completed_at)).label("last_sale"),
        )
        .select_from(joined)
        .where(*_filtered(where), who.is_not(None))
        .group_by(who)
        .subquery("per_customer")
    )


class CustomerReportsRepository:
    """SQL for customer reports (read-only SQL aggregates).

    Needs ``conn`` from the unit of work.
    """

    conn: Connection

    def customer_activity(self, where: SalesFilter) -> Iterator[CustomerActivity]:
        """Each customer with a receipt in ``where``, by id, streamed from the database."""
        per = _per_customer(where)
        ever = t.sales.alias("ever")
        first_ever = (
            sa.select(sa.func.min(ever.c.completed_at))
            .where(ever.c.customer_id == per.c.customer_id, ever.c.kind != "return")
            .scalar_subquery()
        )
        stmt = (
            sa.select(
                per.c.customer_id,
                per.c.sales,
                per.c.returns,
                per.c.sales_total,
                per.c.returns_total,
                sa.type_coerce(per.c.first_sale, t.UTCDateTime),
                sa.type_coerce(per.c.last_sale, t.UTCDateTime),
                sa.type_coerce(first_ever, t.UTCDateTime),
            )
            .order_by(per.c.customer_id)
            .execution_options(yield_per=_STREAM)  # a server-side cursor on PostgreSQL
        )
        for cid, n, r, sold, returned, first, last, ever_first in self.conn.execute(stmt):
            yield CustomerActivity(
                str(cid), int(n), int(r), int(sold), int(returned), first, last, ever_first
            )

    def sales_by_identification(self, where: SalesFilter) -> Iterator[IdentifiedTotals]:
        """Receipts naming a customer (``True``) and anonymous ones (``False``), summed."""
        s = t.sales.c
        joined, who = _customer_of_receipt()
        is_return = s.kind == "return"
        anonymous = who.is_(None)
        stmt = (
            sa.select(
                anonymous,
                sa.func.count(sa.case((is_return, sa.null()), else_=s.total_minor)),
                sa.func.count(sa.case((is_return, s.total_minor))),
                sa.func.coalesce(
                    sa.func.sum(sa.case((is_return, sa.null()), else_=s.total_minor)), 0
                ),
                sa.func.coalesce(sa.func.sum(sa.case((is_return, s.total_minor))), 0),
            )
            .select_from(joined)
            .where(*_filtered(where))
            .group_by(anonymous)
        )
        for anon, n, r, sold, returned in self.conn.execute(stmt):
            yield not anon, int(n), int(r), int(sold), int(returned)

    def _by_group(self, where: SalesFilter, key: sa.ColumnElement[Any]) -> Iterator[GroupTotals]:
        # The key is computed per customer in a subquery and grouped on outside,
        # so PostgreSQL never compares two renderings of the same bound parameters.
        per = _per_customer(where)
        keyed = (
            sa.select(
                key.label("key"),
                per.c.sales,
                (per.c.sales_total + per.c.returns_total).label("total"),
            )
            .select_from(per.outerjoin(customers, customers.c.id == per.c.customer_id))
            .subquery("keyed")
        )
        stmt = sa.select(
            keyed.c.key,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(keyed.c.sales), 0),
            sa.func.coalesce(sa.func.sum(keyed.c.total), 0),
        ).group_by(keyed.c.key)
        for k, n, sales, total in self.conn.execute(stmt):
            yield k, int(n), int(sales), int(total)

    def customers_by_age_band(
        self, where: SalesFilter, reference_year: int, bounds: Sequence[int]
    ) -> Iterator[GroupTotals]:
        """Customers with a receipt in ``where`` grouped by age band, summed."""
        c = customers.c
        age = sa.literal(reference_year, sa.Integer) - c.birth_year
        unknown = sa.or_(c.id.is_(None), c.erased_at.is_not(None), c.birth_year.is_(None))
        band = sa.case(
            (unknown, sa.null()),
            *((age < bound, sa.literal(i, sa.Integer)) for i, bound in enumerate(bounds)),
            else_=sa.literal(len(bounds), sa.Integer),
        )
        for k, n, sales, total in self._by_group(where, band):
            yield (None if k is None else int(k)), n, sales, total

    def customers_by_area(self, where: SalesFilter, digits: int) -> Iterator[GroupTotals]:
        """Customers with a receipt in ``where`` grouped by postcode prefix, summed."""
        c = customers.c
        bare = sa.func.upper(sa.func.replace(sa.func.replace(c.postcode, " ", ""), "-", ""))
        unknown = sa.or_(c.id.is_(None), c.erased_at.is_not(None), sa.func.coalesce(bare, "") == "")
        area = sa.case(
            (unknown, sa.null()), else_=sa.func.substr(bare, 1, sa.literal(digits, sa.Integer))
        )
        for k, n, sales, total in self._by_group(where, area):
            yield (None if k is None else str(k)), n, sales, total
