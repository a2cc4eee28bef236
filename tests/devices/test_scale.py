"""The Toledo scale over a pseudo-terminal, with a fake scale answering the protocol."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest

from possdk import Store
from possdk.drivers import DeviceKind, DeviceSpec, ScaleState, WeightReading
from possdk.drivers._scale import (
    POUND_KG,
    ToledoScale,
    parse_toledo_reply,
    parse_toledo_status,
    stable_weight,
    weighed_line,
)
from possdk.drivers._sim_serial import SimScale
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotReadyError,
    DeviceOfflineError,
    DeviceTimeoutError,
)

from ._serial_helpers import FakeToledo, pty_pair, spec

MOTION, OVER, UNDER, ZERO = b"\x02?a\r", b"\x02?b\r", b"\x02?d\r", b"\x02?p\r"


class Platter:
    """What the fake scale answers: the next replies to W (the last one repeats) and to T."""

    def __init__(self, *replies: bytes, tare_reply: bytes = ZERO) -> None:
        self.replies = list(replies)
        self.tare_reply = tare_reply

    def __call__(self, command: bytes) -> bytes | None:
        if command == b"T":
            return self.tare_reply
        if command != b"W" or not self.replies:
            return None
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def port() -> Iterator[tuple[int, str]]:
    with pty_pair() as pair:
        yield pair


def toledo(path: str, options: str = "") -> ToledoScale:
    return ToledoScale(spec(DeviceKind.SCALE, f"serial://{path}?timeout=0.3{options}", "toledo"))


def weigh(port: tuple[int, str], platter: Platter, options: str = "") -> WeightReading:
    master, path = port
    scale = toledo(path, options)
    scale.open()  # open before the fake answers: opening flushes input
    try:
        with FakeToledo(master, platter):
            return scale.read_weight()
    finally:
        scale.close()


def test_a_stable_weight_is_exact_kilograms(port: tuple[int, str]) -> None:
    reading = weigh(port, Platter(b"\x0201.234\r"))
    assert reading == WeightReading(Decimal("1.234"), ScaleState.STABLE)
    assert isinstance(reading.kilograms, Decimal)


def test_pounds_are_converted_exactly(port: tuple[int, str]) -> None:
    reading = weigh(port, Platter(b"\x0202.50\r"), "&unit=lb")
    assert reading.kilograms == Decimal("2.50") * POUND_KG == Decimal("1.1339809250")


@pytest.mark.parametrize(
    ("reply", "state"),
    [(MOTION, ScaleState.UNSTABLE), (OVER, ScaleState.OVERLOAD), (UNDER, ScaleState.UNDER_ZERO)],
)
def test_status_records(port: tuple[int, str], reply: bytes, state: ScaleState) -> None:
    reading = weigh(port, Platter(reply))
    assert reading.state is state
    assert not reading.stable


def test_a_settling_scale(port: tuple[int, str]) -> None:
    master, path = port
    scale = toledo(path)
    scale.open()
    try:
        with FakeToledo(master, Platter(MOTION, MOTION, b"\x0200.842\r")) as fake:
            states = [scale.read_weight().state for _ in range(3)]
            assert scale.status().scale is ScaleState.STABLE
        assert fake.commands == [b"W"] * 4
    finally:
        scale.close()
    assert states == [ScaleState.UNSTABLE, ScaleState.UNSTABLE, ScaleState.STABLE]


def test_a_garbled_reply_is_dropped_and_asked_again(
    port: tuple[int, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    reading = weigh(port, Platter(b"\x02a?b\r", b"\x02?\x01\r", b"\x0200.500\r"))
    assert reading.kilograms == Decimal("0.500")
    assert caplog.text.count("garbled") == 2


def test_a_silent_scale_times_out(port: tuple[int, str]) -> None:
    master, path = port
    scale = toledo(path, "&attempts=1")
    scale.open()
    try:
        with FakeToledo(master, lambda command: None), pytest.raises(DeviceTimeoutError):
            scale.read_weight()
        status = scale.status()
        assert status.online is False and "no answer" in status.message
    finally:
        scale.close()


def test_host_tare(port: tuple[int, str]) -> None:
    master, path = port
    scale = toledo(path)
    scale.open()
    platter = Platter(b"\x0200.250\r")
    try:
        with FakeToledo(master, platter):
            scale.tare()  # the empty box
            platter.replies = [b"\x0201.250\r"]
            assert scale.read_weight() == WeightReading(Decimal("1.000"), ScaleState.STABLE)
            platter.replies = [b"\x0200.100\r"]  # lighter than the box: under zero
            assert scale.read_weight().state is ScaleState.UNDER_ZERO
            platter.replies = [MOTION]
            with pytest.raises(DeviceNotReadyError, match="unstable") as caught:
                scale.tare()
            assert caught.value.status.scale is ScaleState.UNSTABLE
    finally:
        scale.close()


def test_scale_tare_sends_t(port: tuple[int, str]) -> None:
    master, path = port
    scale = toledo(path, "&tare=scale")
    scale.open()
    platter = Platter(b"\x0201.000\r")
    try:
        with FakeToledo(master, platter) as fake:
            scale.tare()
            platter.tare_reply = MOTION
            with pytest.raises(DeviceNotReadyError):
                scale.tare()
        assert fake.commands == [b"T", b"T"]
    finally:
        scale.close()


def test_weighed_sale_line_from_a_stable_reading(port: tuple[int, str], store: Store) -> None:
    master, path = port
    scale = store.devices.add(f"toledo+serial://{path}?timeout=0.3", kind="scale")
    assert isinstance(scale, ToledoScale)
    scale.open()
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    platter = Platter(MOTION)
    with FakeToledo(master, platter):
        with pytest.raises(DeviceNotReadyError, match="settle"):
            weighed_line(sale, "BANANA", scale)
        assert not sale.active_lines
        platter.replies = [b"\x0201.234\r"]
        line = weighed_line(sale, "BANANA", scale)
    assert line.quantity == Decimal("1.234")
    assert line.sku == "BANANA" and line.unit_price.amount == Decimal("67.90")
    assert sale.total.amount == Decimal("83.79")  # 1.234 kg x 67.90
    store.devices.remove(scale.spec.name)


def test_parse_functions() -> None:
    assert parse_toledo_reply(b"01.234") == WeightReading(Decimal("1.234"), ScaleState.STABLE)
    assert parse_toledo_reply(b"\x0200000\r").kilograms == 0
    assert parse_toledo_reply(b"?p").state is ScaleState.STABLE  # centre of zero
    assert parse_toledo_reply(b"?`").state is ScaleState.UNSTABLE  # no weight sent
    assert parse_toledo_reply(b"?\xe1").state is ScaleState.UNSTABLE  # parity bit ignored
    assert parse_toledo_status(0x63).state is ScaleState.OVERLOAD  # overload wins over motion
    for bad in (b"", b".", b"1.2.3", b"-1.000", b"1,000", b"?", b"?\x01", b"123456789"):
        with pytest.raises(DeviceError):
            parse_toledo_reply(bad)


def test_bad_options_and_missing_port() -> None:
    with pytest.raises(DeviceConfigError, match="unit"):
        toledo("/dev/null", "&unit=oz")
    with pytest.raises(DeviceConfigError, match="talks over serial"):
        ToledoScale(DeviceSpec.parse(DeviceKind.SCALE, "toledo+usb://1:2"))
    scale = toledo("/dev/possdk-no-such-port")
    with pytest.raises(DeviceOfflineError, match="cannot open"):
        scale.read_weight()


def test_a_port_refusing_its_settings_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import termios

    import serial

    def refuse(*args: object, **kwargs: object) -> None:
        raise termios.error(22, "Invalid argument")  # tcsetattr failed: not an OSError

    monkeypatch.setattr(serial, "serial_for_url", refuse)
    scale = toledo("/dev/ttyUSB0")
    with pytest.raises(DeviceOfflineError, match="Invalid argument"):
        scale.open()
    assert not scale.status().online


def test_stable_weight_refuses_what_may_not_be_sold() -> None:
    assert stable_weight(WeightReading(Decimal("0.5"), ScaleState.STABLE)) == Decimal("0.5")
    with pytest.raises(DeviceNotReadyError, match="take something off"):
        stable_weight(WeightReading(Decimal(0), ScaleState.OVERLOAD), "scale-1")


def test_sim_scale_plays_readings_and_tares(store: Store) -> None:
    sim = SimScale(DeviceSpec.parse(DeviceKind.SCALE, "sim://?weight=0.300"))
    sim.tare()
    sim.queue(WeightReading(Decimal(0), ScaleState.UNSTABLE), "1.300")
    assert sim.read_weight().state is ScaleState.UNSTABLE
    assert sim.read_weight() == WeightReading(Decimal("1.000"), ScaleState.STABLE)
    assert sim.read_weight().kilograms == Decimal("1.000")  # the last reading stays
    sim.set_weight("0.1")
    assert sim.read_weight().state is ScaleState.UNDER_ZERO
    sim.set_weight("2", ScaleState.UNSTABLE)
    with pytest.raises(DeviceNotReadyError):
        sim.tare()
    sim.clear_tare()
    sim.set_weight("0.4567")
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    assert weighed_line(sale, "CHEESE", sim).quantity == Decimal("0.456")  # cut, not rounded
    with pytest.raises(Exception, match="float"):
        sim.set_weight(1.5)  # type: ignore[arg-type]
    sim.online = False
    with pytest.raises(DeviceOfflineError):
        sim.read_weight()
