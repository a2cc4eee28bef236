"""The built-in simulator driver ("sim"), contributed through ``possdk_devices``."""

from __future__ import annotations

from possdk._hooks import hookimpl
from possdk.drivers._base import DeviceDriver
from possdk.drivers._sim import SimDriver


@hookimpl
def possdk_devices() -> list[DeviceDriver]:
    """The simulator driver: ``sim://`` devices of every kind."""
    return [SimDriver()]
