"""Hooks of the sample plugin: a promotion, a receipt line and a completion log."""

from __future__ import annotations

import os

import possdk
from possdk.core import Basket, PromotionDiscount, Receipt


@possdk.hookimpl
def possdk_pricing_promotions(basket: Basket) -> list[PromotionDiscount]:
    """10.00 off every coffee line."""
    return [
        PromotionDiscount(
            "coffee10", "Coffee -10", possdk.Money("10.00", basket.currency), ln.line_no
        )
        for ln in basket.lines
        if ln.sku == "COFFEE"
    ]


@possdk.hookimpl
def possdk_receipt_extra_lines(receipt: Receipt) -> list[str]:
    """A thank-you line with the receipt number."""
    return [f"Thank you! ({receipt.number})"]


@possdk.hookimpl
def possdk_sale_completed(receipt: Receipt) -> None:
    """Append the receipt number to the file named by $POSSDK_SAMPLE_LOG."""
    path = os.environ.get("POSSDK_SAMPLE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(receipt.number + "\n")
