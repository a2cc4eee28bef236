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


def times_of_each(
    fns: dict[str, Callable[[], object]],
    *,
    repeat: int = 3,
    check: Callable[[dict[str, object]], None] | None = None,
) -> dict[str, list[float]]:
    """Every run's wall time of each function, in seconds, in run order; the runs take turns.

    Taking turns (and swapping who goes first every round) spreads the
    machine's drift over both sides. ``check`` gets the first round's results
    (to prove both sides agree, without a run of their own); later results are
    dropped before the next clock starts.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    first: dict[str, object] = {}
    for r in range(repeat):
        for name in names if r % 2 == 0 else names[::-1]:
            gc.collect()
            start = time.perf_counter()
            result = fns[name]()
            spent = time.perf_counter() - start
            if r == 0:
                first[name] = result
            del result
            times[name].append(spent)
        if check is not None and r == 0:
            check(first)
        first.clear()
    return times


def best_of_each(
    fns: dict[str, Callable[[], object]],
    *,
    repeat: int = 3,
    check: Callable[[dict[str, object]], None] | None = None,
) -> dict[str, float]:
    """The best wall time of each function, in seconds, the runs taking turns.

    As :func:`times_of_each`, keeping each side's minimum (infinity if ``repeat`` is 0).
    """
    runs = times_of_each(fns, repeat=repeat, check=check)
    return {name: min(spent, default=float("inf")) for name, spent in runs.items()}
