"""The accounting export: each business day as one balanced double-entry transaction.

The figures come from SQL aggregates (``ReportsUnitOfWork``); this module
names the accounts, checks that debits equal credits and writes CSV and
beancount. A posting's amount is signed: positive is a debit, negative a
credit (beancount's convention), so a balanced day sums to zero exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs

from possdk.core._decimal import EXACT, RoundingMode
from possdk.core._money import Money, currency
from possdk.core._tender import TenderKind
from possdk.errors import ConfigurationError, UnbalancedPostingsError
from possdk.storage._sql_reports import SalesFilter

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage._backend import UnitOfWork

__all__ = [
    "AccountMap",
    "DayPostings",
    "JournalEntry",
    "Posting",
    "UnbalancedPostingsError",
    "business_day_range",
    "postings_for_day",
    "to_beancount",
    "to_csv",
]


# ---- accounts --------------------------------------------------------------------

_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
_ACCOUNT = re.compile(r"(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+")

DEFAULT_ACCOUNTS: Mapping[str, str] = {
    "tender:cash": "Assets:Cash",
    "tender:card": "Assets:Clearing:Card",
    "tender:mobile": "Assets:Clearing:Mobile",
    "tender:voucher": "Assets:Clearing:Voucher",
    "tender:gift_card": "Liabilities:GiftCards",
    "tender:store_credit": "Liabilities:StoreCredit",
    "tender:points": "Liabilities:LoyaltyPoints",
    "gift_cards": "Liabilities:GiftCards",
    "cash_rounding": "Income:CashRounding",
    "points": "Liabilities:LoyaltyPoints",
    "points_expense": "Expenses:LoyaltyPoints",
    "points_expired": "Income:LoyaltyPoints:Expired",
    "gift_cards_issued": "Expenses:GiftCards:Issued",
    "gift_cards_expired": "Income:GiftCards:Expired",
    "paid_in": "Equity:CashPaidIn",
    "paid_out": "Expenses:CashPaidOut",
    "cogs": "Expenses:COGS",
    "inventory": "Assets:Inventory",
    "stock_received": "Liabilities:GoodsReceived",
    "stock_adjustments": "Expenses:StockAdjustments",
    "sales:untaxed": "Income:Sales:Untaxed",
}
"""possdk's fixed account keys and their default names in the merchant's chart.

Two families are open-ended: ``sales:<RATES>`` (revenue of lines taxed at
those rates, e.g. ``sales:VAT20`` or ``sales:VAT20+EXCISE5``), defaulting to
``Income:Sales:<RATES>``, and ``tax:<RATE>`` (tax payable), defaulting to
``Liabilities:Tax:<RATE>``.
"""

_DYNAMIC = ("sales:", "tax:")


def _component(code: str) -> str:
    """A rate code as an account name component: ``vat 20%`` -> ``Vat-20-``."""
    text = re.sub(r"[^A-Za-z0-9-]", "-", code.replace("+", "-"))
    return (text[:1].upper() + text[1:]) or "X"


def _default(key: str) -> str:
    fixed = DEFAULT_ACCOUNTS.get(key)
    if fixed is not None:
        return fixed
    if key.startswith("sales:"):
        return f"Income:Sales:{_component(key[6:])}"
    if key.startswith("tax:"):
        return f"Liabilities:Tax:{_component(key[4:])}"
    raise ConfigurationError(
        f"unknown account key {key!r}: use one of {', '.join(sorted(DEFAULT_ACCOUNTS))}, "
        "'sales:<RATES>' or 'tax:<RATE>'"
    )


def _overrides(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


def _check_overrides(
    instance: object, attribute: attrs.Attribute[dict[str, str]], value: dict[str, str]
) -> None:
    for key, name in value.items():
        _default(key)  # raises for an unknown key
        if not isinstance(name, str) or not _ACCOUNT.fullmatch(name):
            raise ConfigurationError(
                f"account name {name!r} for {key!r} is not valid: it must start with one of "
                f"{', '.join(_ROOTS)} and have ':'-separated parts that start with a capital "
                "letter or a digit (letters, digits and '-' only), e.g. 'Assets:Bank:Card'"
            )


@attrs.frozen
class AccountMap:
    """possdk's account keys mapped to the merchant's chart of accounts.

    ``AccountMap({"tender:card": "Assets:Bank:Acquirer", "sales:VAT20": "Income:4000"})``
    overrides two keys; every other key keeps its default
    (:data:`DEFAULT_ACCOUNTS`, ``Income:Sales:<RATES>``, ``Liabilities:Tax:<RATE>``).
    Names follow beancount's rules so both exports accept them. Two keys may
    map to one account (their postings are then kept apart, in one account).
    """

    overrides: dict[str, str] = attrs.field(
        factory=dict, converter=_overrides, validator=_check_overrides
    )
    """Account names by key, for the keys that differ from the defaults."""

    def account(self, key: str) -> str:
        """The merchant's account for a possdk key.

        Raises:
            ConfigurationError: the key is not one possdk posts to.
        """
        name = self.overrides.get(key)
        return name if name is not None else _default(key)


# ---- values ----------------------------------------------------------------------


@attrs.frozen
class Posting:
    """One line of a transaction: an account and a signed amount (debit positive)."""

    key: str
    """possdk's account key (``"tender:cash"``, ``"tax:VAT20"``)."""
    account: str
    """The merchant's account it maps to."""
    amount: Money
    """Positive: debit; negative: credit."""

    @property
    def debit(self) -> Money:
        """The debit amount (zero for a credit)."""
        return self.amount if self.amount.amount > 0 else self.amount - self.amount

    @property
    def credit(self) -> Money:
        """The credit amount, positive (zero for a debit)."""
        return -self.amount if self.amount.amount < 0 else self.amount - self.amount


@attrs.frozen
class JournalEntry:
    """A balanced transaction: a date, a narration and its postings."""

    date: date
    """The business day."""
    narration: str
    """What it records."""
    postings: tuple[Posting, ...]
    """Its lines; they sum to zero."""
    currency: str
    """The currency of every posting."""

    @property
    def debits(self) -> Money:
        """The sum of the debits."""
        return sum((p.debit for p in self.postings), Money.zero(self.currency))

    @property
    def credits(self) -> Money:
        """The sum of the credits (positive)."""
        return sum((p.credit for p in self.postings), Money.zero(self.currency))


@attrs.frozen
class DayPostings:
    """A business day's accounting: its transaction and the figures behind it."""

    day: date
    """The business day (a local date in the store's time zone)."""
    start: datetime
    """Its first instant, UTC."""
    end: datetime
    """The instant after its last, UTC."""
    entry: JournalEntry
    """The day's balanced transaction."""
    sales: int
    """Sale receipts in the day."""
    returns: int
    """Return receipts in the day."""
    total: Money
    """The receipts' totals summed (returns negative), before cash rounding."""
    discounts: Money
    """Discounts given (already taken off revenue; see the accounting docs)."""
    uncosted_movements: int
    """Sale and return stock movements of items with no known cost (no COGS posted)."""
    uncosted_stock_moves: int = 0
    """Deliveries, adjustments and count corrections with no known cost (not posted)."""

    @property
    def postings(self) -> tuple[Posting, ...]:
        """The transaction's postings."""
        return self.entry.postings


# ---- building a day ----------------------------------------------------------------


def business_day_range(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC ``[start, end)`` of a local date in an IANA time zone (DST-aware)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
    return start, end


_TENDER_KEYS = {k.value: f"tender:{k.value}" for k in TenderKind}
_EXPENSED_POINTS = ("earn", "return_earn", "adjust")  # burns are the points tender


def postings_for_day(store: Store, day: date, *, accounts: AccountMap | None = None) -> DayPostings:
    """A business day's balanced postings, from SQL aggregates over its receipts.

    The business day is the local date ``day`` in ``store.settings.timezone``:
    receipts completed from its local midnight to the next. Sales and returns
    are netted (a return's amounts are negative).

    Raises:
        UnbalancedPostingsError: debits and credits differ (never plugged).
        ConfigurationError: an override names an unknown key.
    """
    accounts = accounts or AccountMap()
    code = store.settings.currency
    start, end = business_day_range(day, store.settings.timezone)

    def read(uow: UnitOfWork) -> DayPostings:
        return _build(uow, store, day, start, end, code, accounts)

    return store._read(read)


def _build(
    uow: UnitOfWork,
    store: Store,
    day: date,
    start: datetime,
    end: datetime,
    code: str,
    accounts: AccountMap,
) -> DayPostings:
    exponent = currency(code).minor_units
    amounts: dict[str, Decimal] = {}

    def post(key: str, value: Decimal) -> None:
        amounts[key] = amounts.get(key, Decimal(0)) + value

    def minor(value: int) -> Decimal:
        return Decimal(value).scaleb(-exponent)

    sales, returns, _, discount, _, _, total, rounding = uow.sales_day_totals(code, start, end)

    # Credits: revenue (net of tax, after discounts) per rate set, gift card loads.
    rates = {c.code: tuple(r.code for r in c.rates) for c in uow.load_tax_categories()}
    for category, kind, net, gross in uow.sales_by_tax_category(code, start, end):
        if kind == "gift_card":  # money put on a card: a liability, not revenue
            post("gift_cards", -minor(gross))
            continue
        codes = rates.get(category or "", ())
        post(f"sales:{'+'.join(codes)}" if codes else "sales:untaxed", -minor(net))
    for rate, _, _, tax in uow.tax_by_rate(SalesFilter(code, start, end)):
        post(f"tax:{rate}", -minor(tax))

    # Debits: what the tenders took (cash already rounded); the rounding is income.
    for kind, amount, _ in uow.tenders_by_kind(code, start, end):
        post(_TENDER_KEYS.get(kind, f"tender:{kind}"), minor(amount))
    post("cash_rounding", -minor(rounding))

    # Points earned are a cost of the programme and a debt to the customer.
    programme = store.loyalty.points._programme_in(uow)
    if programme is not None:
        by_kind = dict(uow.points_by_kind(start, end))
        earned = sum((by_kind.get(k, 0) for k in _EXPENSED_POINTS), 0)
        expired = -by_kind.get("expire", 0)
        value = _points_value(earned, programme.point_value, code)
        post("points_expense", value)
        post("points", -value)
        lapsed = _points_value(expired, programme.point_value, code)
        post("points", lapsed)
        post("points_expired", -lapsed)

    # Cost of goods sold where the cost is known: quantity out x unit cost.
    cost = Decimal(0)
    uncosted = 0
    for unit_cost, quantity, count in uow.cost_of_sales(code, start, end):
        if unit_cost is None:
            uncosted += count
            continue
        cost = EXACT.add(cost, EXACT.multiply(Decimal(quantity).scaleb(-6), Decimal(unit_cost)))
    cogs = -Money(cost, code).round(mode=RoundingMode.HALF_UP).amount  # sales move stock out
    post("cogs", cogs)
    post("inventory", -cogs)

    # Outside the receipts: gift cards given away or lapsed, cash paid in or out,
    # stock delivered, adjusted or corrected by a count (at its cost when moved).
    for kind, amount in uow.gift_cards_outside_sales(code, start, end):
        if kind == "issue":  # goodwill: a cost now, a debt to the holder
            post("gift_cards_issued", minor(amount))
        else:  # breakage: the debt lapses (amount is negative)
            post("gift_cards_expired", minor(amount))
        post("gift_cards", -minor(amount))
    for payload in uow.cash_movements(start, end):
        moved = json.loads(payload)
        amount = moved["amount"]
        if amount["currency"] != code:
            continue
        value = Decimal(amount["amount"])
        if moved["kind"] == "paid_in":
            post("tender:cash", value)
            post("paid_in", -value)
        else:
            post("paid_out", value)
            post("tender:cash", -value)
    uncosted_stock = 0
    moved_value: dict[str, Decimal] = {}
    for kind, unit_cost, quantity, count in uow.stock_value_moves(start, end):
        if unit_cost is None:
            uncosted_stock += count
            continue
        value = EXACT.multiply(Decimal(quantity).scaleb(-6), Decimal(unit_cost))
        key = "stock_received" if kind == "receipt" else "stock_adjustments"
        moved_value[key] = EXACT.add(moved_value.get(key, Decimal(0)), value)
    for key, value in moved_value.items():
        rounded = Money(value, code).round(mode=RoundingMode.HALF_UP).amount
        post("inventory", rounded)
        post(key, -rounded)

    postings = tuple(
        Posting(key, accounts.account(key), Money(value, code).round(mode=RoundingMode.HALF_UP))
        for key, value in amounts.items()
        if value != 0
    )
    difference = sum((p.amount for p in postings), Money.zero(code))
    if difference.amount != 0:
        raise UnbalancedPostingsError(day, difference)
    narration = f"possdk business day {day.isoformat()}: {sales} sales, {returns} returns"
    return DayPostings(
        day=day,
        start=start,
        end=end,
        entry=JournalEntry(day, narration, postings, code),
        sales=sales,
        returns=returns,
        total=Money(minor(total), code),
        discounts=Money(minor(discount), code),
        uncosted_movements=uncosted,
        uncosted_stock_moves=uncosted_stock,
    )


def _points_value(points: int, point_value: Decimal, code: str) -> Decimal:
    value = EXACT.multiply(Decimal(points), point_value)
    return Money(value, code).round(mode=RoundingMode.HALF_EVEN).amount


# ---- exports ---------------------------------------------------------------------

CSV_COLUMNS = ("date", "transaction", "account", "key", "debit", "credit", "currency", "narration")
"""The CSV export's header row."""


def _fixed(value: Money) -> str:
    return format(value.round(mode=RoundingMode.HALF_UP).amount, "f")


def to_csv(days: Iterable[DayPostings]) -> str:
    """Postings as CSV, one row per posting (:data:`CSV_COLUMNS`).

    ``debit`` and ``credit`` are non-negative; one of them is zero. ``transaction``
    numbers the days from 1, so rows of one day can be summed back together.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n, d in enumerate(days, 1):
        for p in d.postings:
            writer.writerow(
                (
                    d.day.isoformat(),
                    n,
                    p.account,
                    p.key,
                    _fixed(p.debit),
                    _fixed(p.credit),
                    p.amount.currency,
                    d.entry.narration,
                )
            )
    return out.getvalue()


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_beancount(days: Iterable[DayPostings]) -> str:
    """Postings as a beancount ledger: ``open`` directives, then one transaction per day.

    Each account is opened on the first day it is used, with the currencies
    posted to it. ``bean-check`` accepts the file as written.
    """
    entries = [d.entry for d in days]
    opened: dict[str, tuple[date, set[str]]] = {}
    for e in entries:
        for p in e.postings:
            first, codes = opened.setdefault(p.account, (e.date, set()))
            codes.add(p.amount.currency)
            if e.date < first:
                opened[p.account] = (e.date, codes)
    lines = [f"; possdk accounting export, business days: {len(entries)}", ""]
    for account, (first, codes) in sorted(opened.items(), key=lambda i: (i[1][0], i[0])):
        lines.append(f"{first.isoformat()} open {account} {','.join(sorted(codes))}")
    for e in sorted(entries, key=lambda e: e.date):
        lines.append("")
        lines.append(f"{e.date.isoformat()} * {_quoted('possdk')} {_quoted(e.narration)}")
        width = max((len(p.account) for p in e.postings), default=0)
        for p in e.postings:
            lines.append(f"  {p.account:<{width}}  {_fixed(p.amount):>14} {p.amount.currency}")
    lines.append("")
    return "\n".join(lines)
