"""Customer report invariants: small groups never show, scores are fair quintiles, and a
period's new, returning and anonymous receipts add up to its sales summary."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from possdk import Catalog, FixedClock, Money, Product, Settings, Store, TaxCategory
from possdk.reports import Analytics, CustomerReports
from possdk.reports._customers import quintile_scores, suppress_small_groups
from tests.conftest import CASHIER, SUPERVISOR

# ---- small-group suppression ---------------------------------------------------------

GROUP_COUNTS = st.dictionaries(
    st.sampled_from(["Under 18", "18-24", "25-34", "35-44", "65+", "010", "021", "Unknown"]),
    st.integers(0, 12),
    max_size=8,
)


@given(counts=GROUP_COUNTS, k=st.integers(1, 10))
def test_no_group_below_k_can_be_seen_or_worked_out(counts: dict[str, int], k: int) -> None:
    split = suppress_small_groups(counts, k)
    total = sum(counts.values())
    shown = sum(counts[g] for g in split.shown)
    other = sum(counts[g] for g in split.merged)
    suppressed = sum(counts[g] for g in split.hidden)
    # Every customer is somewhere, once; empty groups are nowhere.
    assert shown + other + suppressed == total
    placed = [*split.shown, *split.merged, *split.hidden]
    assert sorted(placed) == sorted(g for g, n in counts.items() if n)
    assert all(counts[g] >= k for g in split.shown)
    if total < k:
        assert (split.shown, split.merged, suppressed) == ((), (), total)
        return
    assert suppressed == 0
    if split.merged:
        # Other is at least k and never one group alone ...
        assert other >= k and len(split.merged) >= 2
    for group, n in counts.items():
        if 0 < n < k:
            # ... so what is left of the total once the shown groups are taken
            # away is Other, never a small group's own count.
            assert group in split.merged
            assert total - shown == other != n
    # Only the smallest shown groups are ever merged in to make up k.
    big_merged = [counts[g] for g in split.merged if counts[g] >= k]
    if big_merged:
        assert max(big_merged) <= min((counts[g] for g in split.shown), default=max(big_merged))


def test_the_suppression_rule_on_worked_examples() -> None:
    assert suppress_small_groups({"a": 10, "b": 7, "c": 2}, 5).shown == ("a",)  # b joins c
    tie = suppress_small_groups({"x": 3, "y": 3, "z": 1}, 2)
    assert (tie.shown, tie.merged) == (("y",), ("x", "z"))  # equal: the earlier one joins
    assert suppress_small_groups({"a": 6, "b": 5}, 5).merged == ()
    assert suppress_small_groups({"a": 2, "b": 2}, 5).hidden == ("a", "b")


# ---- quintile scores -------------------------------------------------------------------


@given(values=st.lists(st.integers(-50, 50), min_size=1, max_size=40), data=st.data())
def test_quintile_scores_are_fair(values: list[int], data: st.DataObject) -> None:
    scores = quintile_scores(values)
    by_value = dict(zip(values, scores, strict=True))
    assert all(1 <= s <= 5 for s in scores)
    for v, s in zip(values, scores, strict=True):
        assert by_value[v] == s  # equal values share a score
    pairs = sorted(by_value.items())
    assert all(a[1] <= b[1] for a, b in pairwise(pairs))  # more never scores less
    shuffled = data.draw(st.permutations(values))
    assert dict(zip(shuffled, quintile_scores(shuffled), strict=True)) == by_value


@given(fifth=st.integers(1, 8))
def test_distinct_values_fill_each_quintile_equally(fifth: int) -> None:
    assert Counter(quintile_scores(list(range(5 * fifth)))) == dict.fromkeys(range(1, 6), fifth)


# ---- new + returning + anonymous = the period's sales ------------------------------------

FIRST = datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)  # Monday 00:00 in Kyiv
DAYS = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))
RECEIPT = st.tuples(
    st.integers(0, 3 * 24 * 60 - 1),  # minutes after the first local midnight
    st.sampled_from(["TEA", "BOOK", "PEN"]),
    st.integers(1, 3),
    st.none() | st.integers(0, 3),  # the customer, if one is named
    st.sampled_from(["keep", "return", "return naming them"]),
)


def shop(clock: FixedClock) -> Store:
    prices = {"BOOK": "250.00", "TEA": "95.50", "PEN": "9.99"}
    catalog = Catalog(
        [TaxCategory("exempt", [])],
        [Product(sku, sku.title(), Money(p, "UAH"), "exempt") for sku, p in prices.items()],
    )
    return Store.create(
        Settings(currency="UAH", timezone="Europe/Kyiv"),
        catalog=catalog,
        operators=[CASHIER, SUPERVISOR],
        clock=clock,
    )


@settings(max_examples=15, deadline=None)
@given(
    receipts=st.lists(RECEIPT, min_size=1, max_size=8),
    birth_years=st.lists(st.none() | st.integers(1940, 2010), min_size=4, max_size=4),
    period=st.sampled_from([(0, 1), (1, 2), (1, 3), (0, 3)]),
)
def test_new_returning_and_anonymous_add_up_to_the_summary(
    receipts: list[tuple[int, str, int, int | None, str]],
    birth_years: list[int | None],
    period: tuple[int, int],
) -> None:
    clock = FixedClock(FIRST)
    store = shop(clock)
    try:
        people = [
            store.loyalty.customers.add(f"C{i}", birth_year=year).id
            for i, year in enumerate(birth_years)
        ]
        till = store.register("till-1").open_session(operator=CASHIER.id)
        for minutes, sku, qty, who, then in sorted(receipts, key=lambda r: r[0]):
            clock.advance(FIRST + timedelta(minutes=minutes) - clock.now())
            sale = till.new_sale()
            sale.add(sku, qty)
            if who is not None:
                sale.identify_customer(people[who])
            sale.pay("cash")
            receipt = sale.complete()
            if then != "keep":
                back = till.new_return(receipt, approved_by=SUPERVISOR.id)
                back.return_line(1, 1)
                if then == "return naming them" and who is not None:
                    back.identify_customer(people[who])
                back.refund()
                back.complete()
        start, end = DAYS[period[0]], DAYS[period[1] - 1] + timedelta(days=1)
        summary = Analytics(store).summary(start, end)
        reports = CustomerReports(store)
        nvr = reports.new_vs_returning(start, end)
        everyone = nvr.overall
        assert (everyone.sales, everyone.returns) == (summary.sales, summary.returns)
        assert everyone.sales_total == summary.sales_total
        assert everyone.returns_total == summary.returns_total
        # The members' receipts are the visits, the RFM window's and the demographics'.
        members = nvr.members
        visits = reports.visit_frequency(start, end)
        assert (visits.sales, visits.buckets[0].sales_total.currency) == (members.sales, "UAH")
        ages = reports.demographics(start, end, k=1)
        assert ages.customers == members.customers
        assert sum(g.sales for g in ages.groups) == members.sales
        assert sum((g.total for g in ages.groups), Money("0", "UAH")) == members.total
        rfm = reports.rfm(end - timedelta(days=1), days=(end - start).days)
        assert sum(c.frequency for c in rfm.customers) == members.sales
    finally:
        store.close()
