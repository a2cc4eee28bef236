"""Hook specifications of the devices area: device drivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk.drivers._base import DeviceDriver


@hookspec
def possdk_devices() -> list[DeviceDriver]:
    """Return the device drivers this plugin contributes.

    Called once, when the store first needs a driver; every plugin's drivers
    are collected. Driver names must be unique across plugins: a clash
    raises PluginError. A :class:`~possdk.drivers.DeviceSpec` names its
    driver (``escpos+tcp://...``), and the driver builds the device.
    """
    return []
