"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """The best wall time of ``repeat`` runs of ``number`` calls, per call, in seconds.

    The minimum is the least noisy estimate on a shared 2-core machine.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def spread(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> tuple[float, float]:
    """Best and median per-call time, to show the noise."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times), statistics.median(times)
