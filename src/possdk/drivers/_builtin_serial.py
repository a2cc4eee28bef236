"""The built-in serial device drivers, contributed through ``possdk_devices`` like a plugin's.

``serial-scanner`` (scanners), ``toledo`` (scales) and ``cd5220`` (customer
displays). Their modules import pyserial only when a port is opened.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from possdk._hooks import hookimpl
from possdk.drivers._base import Device, DeviceDriver, DeviceKind, DeviceSpec

__all__ = ["SerialDriver", "possdk_devices"]


@attrs.define
class SerialDriver:
    """A driver building one kind of serial device from a spec."""

    name: str
    kinds: frozenset[DeviceKind]
    factory: Callable[[DeviceSpec], Device]

    def create(self, spec: DeviceSpec) -> Device:
        """A device for the spec (not opened yet). Raises DeviceConfigError for a bad spec."""
        return self.factory(spec)


def _scanner(spec: DeviceSpec) -> Device:
    from possdk.drivers._scanner import SerialScanner

    return SerialScanner(spec)


def _scale(spec: DeviceSpec) -> Device:
    from possdk.drivers._scale import ToledoScale

    return ToledoScale(spec)


def _display(spec: DeviceSpec) -> Device:
    from possdk.drivers._display import PoleDisplay

    return PoleDisplay(spec)


@hookimpl
def possdk_devices() -> list[DeviceDriver]:
    """The serial scanner, the Toledo scale and the CD5220 display drivers."""
    return [
        SerialDriver("serial-scanner", frozenset({DeviceKind.SCANNER}), _scanner),
        SerialDriver("toledo", frozenset({DeviceKind.SCALE}), _scale),
        SerialDriver("cd5220", frozenset({DeviceKind.DISPLAY}), _display),
    ]
