"""Time and identity, injected: possdk code never reads the system clock directly."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from possdk.errors import ConfigurationError

__all__ = ["Clock", "FixedClock", "IdGenerator", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Something that tells the time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock. The only place possdk reads the system time."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until told to move; for tests, demos and replays.

    ``FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc))``;
    :meth:`advance` moves it forward. Optionally ticks by ``step`` on every
    read, so successive events get distinct, ordered timestamps.
    """

    def __init__(self, start: datetime, *, step: timedelta = timedelta(0)) -> None:
        if start.tzinfo is None:
            raise ConfigurationError("FixedClock needs an aware datetime, e.g. tzinfo=timezone.utc")
        self._now = start.astimezone(timezone.utc)
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's time, then move it on by ``step``."""
        with self._lock:
            current = self._now
            self._now = current + self._step
            return current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        if delta < timedelta(0):
            raise ConfigurationError(f"a clock only moves forward, got {delta}")
        with self._lock:
            self._now += delta

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


class IdGenerator:
    """Makes UUIDv7 ids (RFC 9562): time-ordered, unique, sortable as strings.

    The 48-bit millisecond timestamp comes from the injected clock; the 12-bit
    ``rand_a`` field is a counter seeded randomly each millisecond, so ids
    made within one millisecond still sort in creation order. If the clock
    stands still or steps back, the generator keeps counting from the last
    id, so ids never go backwards.
    """

    def __init__(self, clock: Clock, *, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        self._clock = clock
        self._random = random_bytes
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def new(self, at: datetime | None = None) -> uuid.UUID:
        """Return a new UUIDv7, timed ``at`` (default: the clock's now).

        Pass the time an event records, so its id and its timestamp agree.
        """
        rnd = self._random(10)
        ms = int((at or self._clock.now()).timestamp() * 1000)
        with self._lock:
            if ms > self._last_ms:
                self._last_ms = ms
                # Start low in the counter space so a burst rarely overflows.
                self._counter = int.from_bytes(rnd[:2], "big") & 0x3FF
            else:
                ms = self._last_ms
                self._counter += 1
                if self._counter > 0xFFF:  # 4096 ids in one ms: borrow the next ms
                    self._last_ms = ms = ms + 1
                    self._counter = 0
            counter = self._counter
        tail = int.from_bytes(rnd[2:], "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | tail
        return uuid.UUID(int=value)
