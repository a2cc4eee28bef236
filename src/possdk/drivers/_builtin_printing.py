"""The built-in printing device drivers, contributed through ``possdk_devices`` like a plugin's."""

from __future__ import annotations

from possdk._hooks import hookimpl
from possdk.drivers._base import Device, DeviceDriver, DeviceKind, DeviceSpec


class EscposDriver:
    """ESC/POS receipt printers and cash drawers over tcp, serial, usb or a device file.

    python-escpos is imported when the first job is rendered, not before.
    """

    def __init__(self) -> None:
        self.name = "escpos"
        self.kinds = frozenset({DeviceKind.RECEIPT_PRINTER, DeviceKind.CASH_DRAWER})

    def create(self, spec: DeviceSpec) -> Device:
        """A printer or a drawer for the spec (not connected yet)."""
        from possdk.drivers._escpos import create

        return create(spec)


@hookimpl
def possdk_devices() -> list[DeviceDriver]:
    """The ESC/POS driver."""
    return [EscposDriver()]
