"""Devices on the counter: receipt printers, cash drawers, scanners, scales, displays.

Reach them as ``store.devices`` (a :class:`Devices`). A device is configured
by a :class:`DeviceSpec` (a URL such as ``escpos+tcp://10.0.0.5:9100`` or
``sim://``) and built by a :class:`DeviceDriver` that a plugin contributes
through the ``possdk_devices`` hook; each kind has a small protocol
(:class:`ReceiptPrinter`, :class:`CashDrawer`, :class:`BarcodeScanner`,
:class:`Scale`, :class:`CustomerDisplay`) and a typed :class:`DeviceStatus`.
"""

from __future__ import annotations

from possdk.drivers._auto_display import enable_customer_display
from possdk.drivers._base import (
    BarcodeScanner,
    CardTerminal,
    CashDrawer,
    CustomerDisplay,
    Device,
    DeviceDriver,
    DeviceKind,
    DeviceSpec,
    DeviceStatus,
    PaperState,
    ReceiptPrinter,
    Scale,
    ScaleState,
    Scan,
    WeightReading,
)
from possdk.drivers._display import PoleDisplay, transliterate
from possdk.drivers._escpos import EscposDrawer, EscposPrinter, PrinterOptions
from possdk.drivers._layout import (
    Align,
    Barcode,
    Columns,
    Cut,
    Logo,
    QrCode,
    ReceiptDocument,
    Rule,
    Symbology,
    TextLine,
    printable,
    receipt_document,
)
from possdk.drivers._printing import (
    PrintJob,
    PrintQueue,
    enable_auto_print,
    print_receipt,
    reprint_receipt,
)
from possdk.drivers._registry import Devices
from possdk.drivers._render import render_escpos, render_html, render_text
from possdk.drivers._scale import ToledoScale, parse_toledo_reply, stable_weight, weighed_line
from possdk.drivers._scanner import (
    KeyboardWedgeBuffer,
    ScanValidator,
    SerialScanner,
    WedgeEvent,
)
from possdk.drivers._sim_printer import SimDrawer, VirtualPrinter, decode_escpos
from possdk.drivers._sim_serial import SimDisplay, SimScale, SimScanner
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotReadyError,
    DeviceOfflineError,
    DeviceTimeoutError,
)

__all__ = [
    "Align",
    "Barcode",
    "BarcodeScanner",
    "CardTerminal",
    "CashDrawer",
    "Columns",
    "CustomerDisplay",
    "Cut",
    "Device",
    "DeviceConfigError",
    "DeviceDriver",
    "DeviceError",
    "DeviceKind",
    "DeviceNotReadyError",
    "DeviceOfflineError",
    "DeviceSpec",
    "DeviceStatus",
    "DeviceTimeoutError",
    "Devices",
    "EscposDrawer",
    "EscposPrinter",
    "KeyboardWedgeBuffer",
    "Logo",
    "PaperState",
    "PoleDisplay",
    "PrintJob",
    "PrintQueue",
    "PrinterOptions",
    "QrCode",
    "ReceiptDocument",
    "ReceiptPrinter",
    "Rule",
    "Scale",
    "ScaleState",
    "Scan",
    "ScanValidator",
    "SerialScanner",
    "SimDisplay",
    "SimDrawer",
    "SimScale",
    "SimScanner",
    "Symbology",
    "TextLine",
    "ToledoScale",
    "VirtualPrinter",
    "WedgeEvent",
    "WeightReading",
    "decode_escpos",
    "enable_auto_print",
    "enable_customer_display",
    "parse_toledo_reply",
    "print_receipt",
    "printable",
    "receipt_document",
    "render_escpos",
    "render_html",
    "render_text",
    "reprint_receipt",
    "stable_weight",
    "transliterate",
    "weighed_line",
]
