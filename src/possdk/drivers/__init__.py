"""Devices on the counter: receipt printers, cash drawers, scanners, scales, displays.

Not built yet: arrives with the devices issue. Receipts render as plain text
today (:meth:`possdk.Receipt.as_text`).
"""
