"""Receipts of the demo day, made once per test process."""

from __future__ import annotations

import functools

from possdk import Receipt
from possdk._demo import run_demo


@functools.cache
def demo_receipts(locale: str = "uk_UA") -> tuple[Receipt, ...]:
    return run_demo(out=lambda _: None, locale=locale).receipts()
