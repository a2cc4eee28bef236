"""What every device is: a spec that names it, a typed status, and one protocol per kind.

Drivers are plugins: the ``possdk_devices`` hook returns :class:`DeviceDriver`
objects, each of which builds devices of some kinds from a :class:`DeviceSpec`
(``escpos+tcp://10.0.0.5:9100``, ``serial:///dev/ttyACM0?baudrate=9600``,
``sim://``). Devices never import their transport libraries at ``import
possdk`` time: python-escpos and pyserial load when a device is opened.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from possdk.errors import DeviceConfigError

if TYPE_CHECKING:
    from possdk.payments._model import PaymentRequest, ProviderResult

__all__ = [
    "BarcodeScanner",
    "CardTerminal",
    "CashDrawer",
    "CustomerDisplay",
    "Device",
    "DeviceDriver",
    "DeviceKind",
    "DeviceSpec",
    "DeviceStatus",
    "PaperState",
    "ReceiptPrinter",
    "Scale",
    "ScaleState",
    "Scan",
    "WeightReading",
]


class DeviceKind(enum.Enum):
    """What a device is for."""

    RECEIPT_PRINTER = "receipt_printer"
    """Prints receipts (and often kicks the cash drawer wired to it)."""
    CASH_DRAWER = "cash_drawer"
    """Holds the cash; opened by a kick."""
    SCANNER = "scanner"
    """Reads barcodes."""
    SCALE = "scale"
    """Weighs goods sold by weight."""
    DISPLAY = "display"
    """Shows the customer the last item, the total and the change."""
    CARD_TERMINAL = "card_terminal"
    """Takes card payments (driven by a payment provider)."""


class PaperState(enum.Enum):
    """A printer's paper, as far as it can tell."""

    OK = "ok"
    """Paper in."""
    LOW = "low"
    """The near-end sensor says the roll is nearly done."""
    OUT = "out"
    """No paper: nothing can print."""
    UNKNOWN = "unknown"
    """The printer does not report it (or was not asked)."""


class ScaleState(enum.Enum):
    """What a scale says about its reading."""

    STABLE = "stable"
    """Settled: the weight may be sold."""
    UNSTABLE = "unstable"
    """Still moving: ask again."""
    OVERLOAD = "overload"
    """More than the scale's capacity."""
    UNDER_ZERO = "under_zero"
    """Below zero (the platter was lifted, or a wrong tare)."""


@attrs.frozen
class DeviceStatus:
    """How a device is, as typed fields; what a device does not report is None.

    ``ready`` says whether it can do its job now.
    """

    online: bool
    """Reachable and answering."""
    paper: PaperState = PaperState.UNKNOWN
    """Printers: the paper."""
    cover_open: bool | None = None
    """Printers: the cover is open."""
    drawer_open: bool | None = None
    """Drawers (or printers with a drawer sensor): the drawer is open."""
    scale: ScaleState | None = None
    """Scales: the last reading's state."""
    message: str = ""
    """Anything else the device or driver said."""

    @property
    def ready(self) -> bool:
        """True when online, with paper, the cover closed and the scale not in error."""
        return (
            self.online
            and self.paper is not PaperState.OUT
            and not self.cover_open
            and self.scale not in (ScaleState.OVERLOAD, ScaleState.UNDER_ZERO)
        )


def _options(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen
class DeviceSpec:
    """Which device, through which driver and transport: ``DeviceSpec.parse(kind, url)``.

    The URL's scheme names the driver and, after a ``+``, its transport:
    ``escpos+tcp://10.0.0.5:9100``, ``escpos+serial:///dev/ttyUSB0?baudrate=19200``,
    ``escpos+usb://04b8:0202``, ``escpos+file:///dev/usb/lp0``,
    ``serial:///dev/ttyACM0`` (the driver is chosen by the kind), ``sim://``
    (a simulator). Query parameters become :attr:`options`.
    """

    name: str
    """Unique among the store's devices (``"printer-1"``)."""
    kind: DeviceKind
    """What it is for."""
    driver: str
    """The driver's name (``"escpos"``, ``"sim"``, ``"toledo"``)."""
    transport: str
    """``tcp``, ``serial``, ``usb``, ``file``, ``loop`` or ``sim``."""
    address: str = ""
    """Host and port, a device path, a USB vendor:product, or empty."""
    options: Mapping[str, str] = attrs.field(factory=dict, converter=_options, eq=False)
    """Driver options from the URL's query (``baudrate``, ``timeout``, ``pin``)."""
    register_id: str | None = None
    """The register (till) it serves; None: any."""

    @classmethod
    def parse(
        cls,
        kind: DeviceKind | str,
        url: str,
        *,
        name: str | None = None,
        register_id: str | None = None,
        driver: str | None = None,
    ) -> DeviceSpec:
        """Read a device URL.

        ``driver`` names the driver when the scheme is only a transport
        (``serial:///dev/ttyACM0`` for a ``"toledo"`` scale).

        Raises:
            DeviceConfigError: an unknown kind, a URL without a scheme, or an
                empty address where the transport needs one.
        """
        try:
            kind = kind if isinstance(kind, DeviceKind) else DeviceKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in DeviceKind)
            raise DeviceConfigError(
                name, f"unknown device kind {kind!r}; use one of {known}"
            ) from None
        if not isinstance(url, str) or "://" not in url:
            raise DeviceConfigError(
                name, f"a device URL looks like escpos+tcp://10.0.0.5:9100 or sim://, got {url!r}"
            )
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        named, plus, transport = scheme.partition("+")
        if not plus:
            transport = named
            named = driver or ("sim" if scheme == "sim" else "")
        elif driver is not None and driver != named:
            raise DeviceConfigError(
                name, f"the URL names driver {named!r} but driver={driver!r} was given"
            )
        if transport not in _TRANSPORTS:
            raise DeviceConfigError(
                name,
                f"unknown transport {transport!r} in {url!r}; use one of "
                f"{', '.join(sorted(_TRANSPORTS))}",
            )
        address = parts.netloc if transport in ("tcp", "usb") else unquote(parts.path)
        if transport in ("tcp", "usb", "serial", "file") and not address:
            raise DeviceConfigError(name, f"{url!r} names no {transport} address")
        if not named:
            raise DeviceConfigError(
                name, f"{url!r} names no driver: write driver+{transport}://... or pass driver="
            )
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        return cls(
            name or f"{kind.value}-1",
            kind,
            named,
            transport,
            address,
            options,
            register_id,
        )

    def option_number(self, key: str, default: float, *, low: float, high: float) -> float:
        """A numeric option (``timeout``, ``baudrate``, ``pin``), ``default`` when not given.

        Raises:
            DeviceConfigError: not a number, or outside ``low`` to ``high``.
        """
        raw = self.options.get(key)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise DeviceConfigError(self.name, f"option {key}={raw!r} is not a number") from None
        if not low <= value <= high:
            raise DeviceConfigError(
                self.name, f"option {key}={raw} must be from {low:g} to {high:g}"
            )
        return value

    @property
    def url(self) -> str:
        """The spec as a URL again (options in a stable order)."""
        query = "&".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        scheme = self.transport if self.driver == "sim" else f"{self.driver}+{self.transport}"
        return f"{scheme}://{self.address}" + (f"?{query}" if query else "")


_TRANSPORTS = frozenset({"tcp", "serial", "usb", "file", "loop", "sim"})


@attrs.frozen
class Scan:
    """A barcode a scanner read: the code as read, and when (a monotonic time in seconds)."""

    code: str
    """The digits or text read, without prefix, suffix or terminator."""
    at: float = 0.0
    """``time.monotonic()`` when it was read."""


@attrs.frozen
class WeightReading:
    """A scale's answer: a weight in kilograms and its state."""

    kilograms: Decimal
    """The net weight (after tare); meaningful only when ``state`` is STABLE."""
    state: ScaleState
    """Stable, unstable, overload or under zero."""

    @property
    def stable(self) -> bool:
        """True when the weight may be sold."""
        return self.state is ScaleState.STABLE


# ---- device protocols ------------------------------------------------------------


@runtime_checkable
class Device(Protocol):
    """What every device does: open, close, say how it is."""

    spec: DeviceSpec
    """How it was configured."""

    def open(self) -> None:
        """Connect (idempotent). Raises DeviceOfflineError if it cannot."""
        ...

    def close(self) -> None:
        """Disconnect and release the transport (idempotent)."""
        ...

    def status(self) -> DeviceStatus:
        """Ask the device how it is (within its timeout; offline when it does not answer)."""
        ...


@runtime_checkable
class ReceiptPrinter(Device, Protocol):
    """Prints documents and can kick the drawer wired to it."""

    def print_lines(self, lines: list[str], *, cut: bool = True) -> None:
        """Print plain lines (already laid out to the printer's width), then cut."""
        ...

    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the drawer connector's pin 2 or 5, once."""
        ...


@runtime_checkable
class CashDrawer(Device, Protocol):
    """A cash drawer: kicked open, and sometimes able to say whether it is open."""

    def open_drawer(self) -> None:
        """Open it, once."""
        ...


@runtime_checkable
class BarcodeScanner(Device, Protocol):
    """Delivers validated scans to a callback, from a background reader."""

    def start(self, on_scan: Callable[[Scan], None]) -> None:
        """Start reading; ``on_scan`` is called for every good scan."""
        ...

    def stop(self) -> None:
        """Stop reading (idempotent)."""
        ...


@runtime_checkable
class Scale(Device, Protocol):
    """Weighs goods: read the weight, set a tare."""

    def read_weight(self) -> WeightReading:
        """Ask for the weight now."""
        ...

    def tare(self) -> None:
        """Take the current weight as the tare (the container)."""
        ...


@runtime_checkable
class CustomerDisplay(Device, Protocol):
    """A pole display facing the customer: a few short lines of text."""

    width: int
    """Characters per line (20 on a 2x20 display)."""

    def show(self, *lines: str) -> None:
        """Show these lines (cut to the width; transliterated where the display needs it)."""
        ...

    def clear(self) -> None:
        """Blank the display."""
        ...


@runtime_checkable
class CardTerminal(Device, Protocol):
    """A card terminal on the counter, driven by a payment provider.

    The provider (``possdk.payments.PaymentProvider``) owns the payment's
    lifecycle and idempotency; the terminal only carries one request to the
    card reader and brings back what it said.
    """

    def transact(self, request: PaymentRequest) -> ProviderResult:
        """Send one request (sale, refund, void) to the terminal and wait for its answer."""
        ...

    def lookup(self, key: str) -> ProviderResult | None:
        """What the terminal knows of an earlier request by its idempotency key, if anything."""
        ...


class DeviceDriver(Protocol):
    """A plugin's factory of devices: ``possdk_devices`` returns these."""

    name: str
    """What specs call it (``"escpos"``, ``"sim"``, ``"toledo"``)."""
    kinds: frozenset[DeviceKind]
    """The kinds of device it builds."""

    def create(self, spec: DeviceSpec) -> Device:
        """A device for the spec (not opened yet). Raises DeviceConfigError for a bad spec."""
        ...
