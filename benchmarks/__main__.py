"""Run every benchmark: ``python -m benchmarks`` (``make bench``)."""

from __future__ import annotations

import platform
import sys

from benchmarks import (
    bench_catalog,
    bench_commit,
    bench_pricing,
    bench_promotions,
    bench_reports,
    bench_stock,
    bench_tender,
)


def main() -> None:
    print(f"# possdk benchmarks on Python {platform.python_version()} ({platform.machine()})")
    print("# ratios compare against a floor measured in the same process; best of several runs")
    for bench in (
        bench_pricing,
        bench_promotions,
        bench_catalog,
        bench_commit,
        bench_tender,
        bench_stock,
        bench_reports,
    ):
        for line in bench.run():
            print(line)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
