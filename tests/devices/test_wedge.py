"""The keyboard-wedge buffer tells scanner bursts from typing by the gaps between keys."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk.drivers._scanner import KeyboardWedgeBuffer, ScanValidator, WedgeEvent

EAN13 = "4006381333931"


def burst(text: str, start: float, gap: float = 0.01) -> list[tuple[str, float]]:
    return [(ch, start + i * gap) for i, ch in enumerate(text)]


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    buf = KeyboardWedgeBuffer()
    events = buf.feed_many(burst(EAN13 + "\r", 10.0))
    assert events == [WedgeEvent("scan", EAN13, 10.0 + 13 * 0.01)]


def test_slow_keys_are_typing_even_when_they_spell_a_code() -> None:
    buf = KeyboardWedgeBuffer()
    events = buf.feed_many(burst(EAN13 + "\r", 10.0, gap=0.15))
    assert [e.kind for e in events] == ["typed"] * len(events)
    assert "".join(e.text for e in events) == EAN13 + "\n"


def test_typing_then_a_scan_then_typing() -> None:
    buf = KeyboardWedgeBuffer()
    keys = [("q", 1.0), ("t", 1.2), ("y", 1.4)]
    keys += burst(EAN13 + "\n", 2.0)
    keys += [("4", 3.0)]
    events = buf.feed_many(keys)
    events += buf.flush(4.0)
    kinds = [(e.kind, e.text) for e in events]
    assert ("scan", EAN13) in kinds
    assert "".join(t for k, t in kinds if k == "typed") == "qty4"


def test_flush_hands_back_waiting_keys_only_after_the_gap() -> None:
    buf = KeyboardWedgeBuffer(max_gap=0.05)
    assert buf.feed("1", 5.0) == []
    assert buf.flush(5.01) == []
    assert buf.flush(5.2) == [WedgeEvent("typed", "1", 5.0)]


def test_a_bad_burst_is_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    buf = KeyboardWedgeBuffer()
    assert buf.feed_many(burst("4006381333932\r", 1.0)) == []
    assert "check digit" in caplog.text


def test_short_fast_input_with_enter_is_typing() -> None:
    buf = KeyboardWedgeBuffer(min_length=4)
    events = buf.feed_many(burst("12\r", 1.0))
    assert events == [WedgeEvent("typed", "12\n", 1.02)]


def test_thresholds_are_configurable() -> None:
    buf = KeyboardWedgeBuffer(max_gap=0.2, validator=ScanValidator(frozenset({"code128"})))
    events = buf.feed_many(burst("SKU-42\r", 1.0, gap=0.1))
    assert events == [WedgeEvent("scan", "SKU-42", 1.6)]


@given(
    typed=st.lists(st.sampled_from("abc123 "), max_size=8),
    gaps=st.lists(st.floats(0.08, 1.0), min_size=9, max_size=9),
)
def test_human_typing_never_becomes_a_scan(typed: list[str], gaps: list[float]) -> None:
    buf = KeyboardWedgeBuffer()
    t = 0.0
    events: list[WedgeEvent] = []
    for ch, gap in zip([*typed, "\r"], gaps, strict=False):
        t += gap
        events += buf.feed(ch, t)
    events += buf.flush(t + 10)
    assert all(e.kind == "typed" for e in events)
    assert "".join(e.text for e in events) == "".join(typed) + "\n"
