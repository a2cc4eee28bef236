"""The benchmarks still run against today's schema, at a tiny size.

Benchmarks are not timed here (timings are `make bench`'s job); this only
proves each one loads its history, runs both sides and finds them agreeing
(every benchmark checks its floor and possdk give the same figures). A
column added to a table once broke bench_commit's hand-written INSERT
without any test noticing.
"""

from __future__ import annotations

import pytest
from benchmarks import bench_commit, bench_reports, bench_stock, bench_tender


def test_bench_commit_runs_on_sqlite_and_postgresql(postgresql_url: str) -> None:
    lines = bench_commit.run(20, postgresql_url)
    assert any("PostgreSQL" in line for line in lines), lines


def test_bench_reports_runs_on_both_engines(postgresql_url: str) -> None:
    lines = bench_reports.run(5_000, 50, 3, postgresql_url, engine="both")
    assert lines[-1] == "bench_reports SQLite and PostgreSQL: the same figures", lines


def test_bench_stock_runs(postgresql_url: str) -> None:
    lines = bench_stock.run(2_000, 100, 20, postgresql_url)
    assert any("PostgreSQL" in line for line in lines), lines


@pytest.mark.parametrize("n", [10])
def test_bench_tender_runs(n: int) -> None:
    assert bench_tender.run(n)
