"""The simulator driver ``"sim"``: one driver that builds a simulator of every device kind.

``DeviceSpec.parse(DeviceKind.RECEIPT_PRINTER, "sim://")`` names it; the
simulators record what they were asked to do (the ESC/POS bytes a printer got,
the frames a display showed) and can be told how the hardware should behave
(paper out, an unstable scale), so apps and tests run without hardware.
"""

from __future__ import annotations

from possdk.drivers._base import Device, DeviceKind, DeviceSpec
from possdk.errors import DeviceConfigError

__all__ = ["SIM_KINDS", "SimDriver"]

SIM_KINDS = frozenset(
    {
        DeviceKind.RECEIPT_PRINTER,
        DeviceKind.CASH_DRAWER,
        DeviceKind.SCANNER,
        DeviceKind.SCALE,
        DeviceKind.DISPLAY,
    }
)
"""The kinds the simulator driver builds: every device kind except card terminals, which are
payment providers (``possdk.payments.CardTerminalSimulator``)."""


class SimDriver:
    """The ``"sim"`` device driver: a simulator for every kind, on ``sim://`` URLs."""

    name = "sim"
    kinds = SIM_KINDS

    def create(self, spec: DeviceSpec) -> Device:
        """A simulator of the spec's kind (not opened yet).

        Raises:
            DeviceConfigError: a kind it does not simulate, or a transport other than ``sim``.
        """
        if spec.transport != "sim":
            raise DeviceConfigError(
                spec.name, f"the sim driver needs a sim:// URL, got {spec.transport}://"
            )
        # The simulators load only when one is configured, like every other driver's devices.
        if spec.kind is DeviceKind.RECEIPT_PRINTER:
            from possdk.drivers._sim_printer import VirtualPrinter

            return VirtualPrinter(spec)
        if spec.kind is DeviceKind.CASH_DRAWER:
            from possdk.drivers._sim_printer import SimDrawer

            return SimDrawer(spec)
        if spec.kind is DeviceKind.SCANNER:
            from possdk.drivers._sim_serial import SimScanner

            return SimScanner(spec)
        if spec.kind is DeviceKind.SCALE:
            from possdk.drivers._sim_serial import SimScale

            return SimScale(spec)
        if spec.kind is DeviceKind.DISPLAY:
            from possdk.drivers._sim_serial import SimDisplay

            return SimDisplay(spec)
        raise DeviceConfigError(spec.name, f"the sim driver simulates no {spec.kind.value}")
