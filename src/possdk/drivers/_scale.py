"""Scales on a serial port: the Toledo 8213/8217 "demand" protocol, parsed without floats.

The protocol, as public manuals describe it (the Transcell PC-150 manual's
"Toledo 8213 demand format" appendix, and the Brecknell 67xxU service
manual's "EH-SCP", which it calls compatible with the Toledo PS60; the same
framing is the "Toledo 8217" mode of many checkout scanner-scales):

* The host sends ``W`` (0x57): "send the weight". Some scales want a CR
  after it (``request=WCR``).
* A good weight comes back as ``STX`` + the displayed weight with its
  decimal point (``01.234``: five digits and a point) + ``CR``. The unit is
  set on the scale (``unit=kg``, the default, or ``unit=lb``).
* When the weight is not valid (moving, over capacity, under zero), the
  scale answers with a status record instead: ``STX`` ``?`` status-byte
  ``CR``. In the status byte bit 0 is motion, bit 1 over capacity (out of
  range), bit 2 under zero, bit 3 outside the zero capture range, bit 4
  centre of zero, bits 5 and 6 are always 1, bit 7 is parity (ignored).
* ``Z`` zeroes the scale and ``T`` (on scales that have it) presses the tare
  key; both answer with a status record.

A reading is a :class:`~possdk.drivers.WeightReading` in kilograms as an
exact :class:`~decimal.Decimal` (pounds are converted by the exact
0.45359237 kg). Sell only stable readings: :func:`weighed_line` refuses the
others with :class:`~possdk.errors.DeviceNotReadyError`.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from possdk.core import RoundingMode
from possdk.core._decimal import quantize
from possdk.drivers._base import DeviceSpec, DeviceStatus, Scale, ScaleState, WeightReading
from possdk.drivers._serial_io import FrameReader, SerialLink, SerialSettings
from possdk.errors import DeviceConfigError, DeviceError, DeviceNotReadyError

if TYPE_CHECKING:
    from possdk.core import Sale, SaleLine

__all__ = [
    "POUND_KG",
    "ToledoScale",
    "ToledoStatus",
    "parse_toledo_reply",
    "parse_toledo_status",
    "stable_weight",
    "weighed_line",
]

log = logging.getLogger(__name__)

POUND_KG = Decimal("0.45359237")
"""One avoirdupois pound in kilograms, exactly."""

STX = b"\x02"
CR = b"\r"

_MOTION = 0x01
_OVER = 0x02
_UNDER = 0x04
_CENTER_OF_ZERO = 0x10
_ALWAYS = 0x60  # bits 5 and 6 are set in every status byte


@attrs.frozen
class ToledoStatus:
    """A Toledo status byte, bit by bit."""

    motion: bool
    """Bit 0: the platter is moving."""
    over_capacity: bool
    """Bit 1: over capacity (out of range)."""
    under_zero: bool
    """Bit 2: below zero."""
    outside_zero_range: bool
    """Bit 3: outside the zero capture range."""
    center_of_zero: bool
    """Bit 4: at the centre of zero."""

    @property
    def state(self) -> ScaleState:
        """The reading state it means: overload and under zero before motion."""
        if self.over_capacity:
            return ScaleState.OVERLOAD
        if self.under_zero:
            return ScaleState.UNDER_ZERO
        if self.motion:
            return ScaleState.UNSTABLE
        return ScaleState.STABLE


def parse_toledo_status(byte: int) -> ToledoStatus:
    """Read a status byte (bit 7, parity, is ignored).

    Raises:
        DeviceError: bits 5 and 6 are not both set: it is not a status byte.
    """
    value = byte & 0x7F
    if value & _ALWAYS != _ALWAYS:
        raise DeviceError(None, f"0x{byte:02x} is not a Toledo status byte (bits 5, 6 unset)")
    return ToledoStatus(
        motion=bool(value & _MOTION),
        over_capacity=bool(value & _OVER),
        under_zero=bool(value & _UNDER),
        outside_zero_range=bool(value & 0x08),
        center_of_zero=bool(value & _CENTER_OF_ZERO),
    )


def _weight(text: bytes, unit: str) -> Decimal:
    body = text.strip(b" ")
    if not 1 <= len(body) <= 8 or body.count(b".") > 1 or body in (b".",):
        raise DeviceError(None, f"{text!r} is not a Toledo weight")
    if not all(0x30 <= b <= 0x39 or b == 0x2E for b in body):
        raise DeviceError(None, f"{text!r} is not a Toledo weight (digits and a point only)")
    value = Decimal(body.decode("ascii"))
    return value * POUND_KG if unit == "lb" else value


def parse_toledo_reply(frame: bytes, *, unit: str = "kg") -> WeightReading:
    """Read one reply to ``W``: the bytes between STX and CR (both optional here).

    ``b"01.234"`` is 1.234 kg, stable; ``b"?" + status`` is a status record
    (unstable, overload or under zero; a status with none of those bits is a
    stable zero if at the centre of zero, else unstable: the scale sent no
    weight). Pure and total: any other input raises DeviceError, nothing else.

    Raises:
        DeviceError: the frame is not a reply of this protocol.
    """
    if frame.startswith(STX):
        frame = frame[1:]
    if frame.endswith(CR):
        frame = frame[:-1]
    if frame.startswith(b"?"):
        if len(frame) != 2:
            raise DeviceError(None, f"{frame!r} is not a Toledo status record")
        status = parse_toledo_status(frame[1])
        state = status.state
        if state is ScaleState.STABLE:
            if status.center_of_zero:
                return WeightReading(Decimal("0.000"), ScaleState.STABLE)
            state = ScaleState.UNSTABLE
        return WeightReading(Decimal(0), state)
    return WeightReading(_weight(frame, unit), ScaleState.STABLE)


class ToledoScale:
    """A scale speaking the Toledo 8213/8217 demand protocol (see the module docstring).

    ``toledo+serial:///dev/ttyUSB0`` (7 data bits, even parity and 9600
    baud unless the options say otherwise, as these scales ship). Options:
    ``unit`` (kg or lb), ``request`` (W or WCR), ``tare`` (``host``, the
    default: the driver remembers the container's weight and subtracts it;
    ``scale``: send the scale's T command), ``attempts`` (garbled replies
    tolerated per reading, 3).
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.unit = spec.options.get("unit", "kg").lower()
        if self.unit not in ("kg", "lb"):
            raise DeviceConfigError(spec.name, f"option unit={self.unit!r}: use kg or lb")
        request = spec.options.get("request", "W").upper()
        if request not in ("W", "WCR"):
            raise DeviceConfigError(spec.name, f"option request={request!r}: use W or WCR")
        self._request = b"W\r" if request == "WCR" else b"W"
        self.tare_mode = spec.options.get("tare", "host").lower()
        if self.tare_mode not in ("host", "scale"):
            raise DeviceConfigError(spec.name, f"option tare={self.tare_mode!r}: use host or scale")
        raw_attempts = spec.options.get("attempts", "3")
        if not raw_attempts.isdigit() or not 1 <= int(raw_attempts) <= 10:
            raise DeviceConfigError(spec.name, f"option attempts={raw_attempts!r}: use 1 to 10")
        self.attempts = int(raw_attempts)
        self.link = SerialLink(
            spec.name, SerialSettings.from_spec(spec, baudrate=9600, bytesize=7, parity="E")
        )
        self.tare_kilograms = Decimal(0)
        """The host-side tare subtracted from every reading (``tare=host``)."""
        self._last: ScaleState | None = None

    # ---- Device ------------------------------------------------------------------

    def open(self) -> None:
        """Open the port (idempotent). Raises DeviceOfflineError if it cannot."""
        self.link.open()

    def close(self) -> None:
        """Close the port (idempotent)."""
        self.link.close()

    def status(self) -> DeviceStatus:
        """Ask for the weight; offline when the scale does not answer in time."""
        try:
            reading = self.read_weight()
        except DeviceError as exc:
            return DeviceStatus(online=False, scale=self._last, message=str(exc))
        return DeviceStatus(online=True, scale=reading.state)

    # ---- Scale -------------------------------------------------------------------

    def _ask(self, command: bytes) -> bytes:
        """Send a command; the reply frame (without STX and CR)."""
        self.open()
        reader = FrameReader(b"\r", prefix=STX, max_length=16, device=self.spec.name)
        self.link.discard_input()  # a late reply to an earlier request is stale
        self.link.write(command)
        return self.link.read_frame(reader)

    def read_weight(self) -> WeightReading:
        """Ask for the weight: net of the host tare, in kilograms.

        Raises:
            DeviceTimeoutError: the scale did not answer.
            DeviceError: it kept answering with something that is not this protocol.
            DeviceOfflineError: the port is gone.
        """
        problem = ""
        for _ in range(self.attempts):
            frame = self._ask(self._request)
            try:
                reading = parse_toledo_reply(frame, unit=self.unit)
            except DeviceError as exc:
                problem = str(exc)
                log.warning("%s: dropped a garbled reply: %s", self.spec.name, exc)
                continue
            reading = self._net(reading)
            self._last = reading.state
            return reading
        raise DeviceError(self.spec.name, f"the scale's replies are garbled ({problem})")

    def _net(self, reading: WeightReading) -> WeightReading:
        if reading.state is not ScaleState.STABLE or not self.tare_kilograms:
            return reading
        net = reading.kilograms - self.tare_kilograms
        if net < 0:
            return WeightReading(net, ScaleState.UNDER_ZERO)
        return WeightReading(net, ScaleState.STABLE)

    def tare(self) -> None:
        """Take what is on the platter as the tare.

        Raises:
            DeviceNotReadyError: the weight is not stable (or is overloaded, under zero).
        """
        if self.tare_mode == "scale":
            frame = self._ask(b"T")
            try:
                reading = parse_toledo_reply(frame, unit=self.unit)
            except DeviceError as exc:
                raise DeviceError(self.spec.name, f"the tare reply is garbled: {exc}") from exc
            if not reading.stable:
                raise DeviceNotReadyError(
                    self.spec.name,
                    f"cannot tare: the scale is {reading.state.value}",
                    DeviceStatus(online=True, scale=reading.state),
                )
            return
        self.tare_kilograms = Decimal(0)
        gross = self.read_weight()
        stable_weight(gross, self.spec.name)
        self.tare_kilograms = gross.kilograms

    def clear_tare(self) -> None:
        """Forget the host-side tare."""
        self.tare_kilograms = Decimal(0)


def stable_weight(reading: WeightReading, device: str | None = None) -> Decimal:
    """The reading's kilograms if it may be sold.

    Raises:
        DeviceNotReadyError: unstable, overloaded or under zero (``status.scale`` says which).
    """
    if reading.state is ScaleState.STABLE:
        return reading.kilograms
    advice = {
        ScaleState.UNSTABLE: "wait for it to settle and weigh again",
        ScaleState.OVERLOAD: "take something off the platter",
        ScaleState.UNDER_ZERO: "clear the platter and zero or re-tare the scale",
    }[reading.state]
    raise DeviceNotReadyError(
        device,
        f"the weight is {reading.state.value.replace('_', ' ')}: {advice}",
        DeviceStatus(online=True, scale=reading.state),
    )


def weighed_line(sale: Sale, sku: str, scale: Scale, *, decimals: int = 3) -> SaleLine:
    """Weigh now and add ``sku`` with the stable net weight as its quantity.

    The weight is cut to ``decimals`` places (3: grams, as ``Unit.KILOGRAM``
    takes), never rounded up: the customer does not pay for a part of a gram
    the scale did not show. For a weighed product found by its barcode, pass
    the weight yourself: ``sale.scan(code, quantity=stable_weight(scale.read_weight()))``.

    Raises:
        DeviceNotReadyError: the reading is not stable; nothing is added.
        DeviceTimeoutError: the scale did not answer.
    """
    quantum = Decimal(1).scaleb(-decimals)
    kilograms = quantize(
        stable_weight(scale.read_weight(), scale.spec.name), quantum, RoundingMode.DOWN
    )
    if kilograms <= 0:
        raise DeviceNotReadyError(
            scale.spec.name,
            "nothing is on the scale: put the goods on the platter",
            DeviceStatus(online=True, scale=ScaleState.STABLE),
        )
    return sale.add(sku, kilograms)
