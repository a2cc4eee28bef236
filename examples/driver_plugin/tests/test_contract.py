"""The acme driver against possdk's driver kit, on a pseudo-terminal, and as a plugin."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from possdk_acme_scale import AcmeScale, parse_answer
from possdk_acme_scale.virtual import VirtualAcmeScale

from possdk.drivers import Devices, DeviceSpec, ScaleState
from possdk.errors import DeviceConfigError
from possdk.testing.devices import ScaleContract


class TestAcmeScale(ScaleContract):
    """Every test of the kit's scale contract, on a virtual Acme scale."""

    timeout = 0.3  # the fixture builds the scale with it; the kit holds it to it

    @pytest.fixture
    def peer(self) -> Iterator[VirtualAcmeScale]:
        """The hardware side: a virtual scale on a pseudo-terminal."""
        with VirtualAcmeScale() as scale:
            yield scale

    @pytest.fixture
    def device(self, peer: VirtualAcmeScale) -> Iterator[AcmeScale]:
        """The driver's scale on the pseudo-terminal's other end, not opened yet."""
        spec = DeviceSpec.parse("scale", f"acme+serial://{peer.port}?timeout={self.timeout}")
        scale = AcmeScale(spec)
        yield scale
        scale.close()


def test_answers_are_parsed() -> None:
    assert parse_answer(b"ST,+0001.234kg\r\n") == parse_answer(b"ST,+0001.234kg")
    reading = parse_answer(b"US,+0000.500kg\r\n")
    assert reading is not None
    assert reading.state is ScaleState.UNSTABLE
    assert reading.kilograms == Decimal("0.500")
    below = parse_answer(b"ST,-0000.010kg\r\n")
    assert below is not None
    assert below.state is ScaleState.UNDER_ZERO
    assert parse_answer(b"garbage") is None


def test_the_installed_plugin_contributes_the_driver() -> None:
    devices = Devices.from_plugins()  # the installed plugins, this one among them
    scale = devices.add("acme+serial:///dev/ttyUSB0", kind="scale", name="scale-1")
    assert isinstance(scale, AcmeScale)
    with pytest.raises(DeviceConfigError, match="serial ports; got tcp"):
        devices.add("acme+tcp://10.0.0.9:4001", kind="scale", name="scale-2")
