"""Devices on the counter: receipt printers, cash drawers, scanners, scales, displays.

Reach them as ``store.devices`` (a :class:`Devices`). A device is configured
by a :class:`DeviceSpec` (a URL such as ``escpos+tcp://10.0.0.5:9100`` or
``sim://``) and built by a :class:`DeviceDriver` that a plugin contributes
through the ``possdk_devices`` hook; each kind has a small protocol
(:class:`ReceiptPrinter`, :class:`CashDrawer`, :class:`BarcodeScanner`,
:class:`Scale`, :class:`CustomerDisplay`) and a typed :class:`DeviceStatus`.
"""

from __future__ import annotations

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
from possdk.drivers._registry import Devices
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotReadyError,
    DeviceOfflineError,
    DeviceTimeoutError,
)

__all__ = [
    "BarcodeScanner",
    "CardTerminal",
    "CashDrawer",
    "CustomerDisplay",
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
    "PaperState",
    "ReceiptPrinter",
    "Scale",
    "ScaleState",
    "Scan",
    "WeightReading",
]
