"""``store.devices``: the store's configured devices, found by name, kind and register."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pluggy

from possdk._hooks import hookimpl
from possdk.drivers._base import (
    CashDrawer,
    Device,
    DeviceDriver,
    DeviceKind,
    DeviceSpec,
    ReceiptPrinter,
)
from possdk.drivers._config import ConfigFormat, format_for, parse_device_config
from possdk.errors import DeviceConfigError, PluginError

if TYPE_CHECKING:
    from possdk._store import Store

__all__ = ["Devices"]

log = logging.getLogger(__name__)


class _HasPlugins(Protocol):
    """What the registry needs of its owner (a :class:`~possdk.Store`): its plugin manager."""

    @property
    def plugins(self) -> pluggy.PluginManager: ...


class _Plugins:
    def __init__(self, plugins: pluggy.PluginManager) -> None:
        self.plugins = plugins


class Devices:
    """The store's devices: configured once, found by name, kind and register.

    Devices are built by the drivers plugins contribute through the
    ``possdk_devices`` hook (the built-in ones: ESC/POS printers and drawers,
    serial scanners, scales and displays, and simulators of every kind) and
    are opened on first use. After a cash tender (or a "no sale") the store
    opens the register's cash drawer: a :class:`CashDrawer` device, else the
    drawer wired to the register's receipt printer.
    """

    def __init__(self, store: Store | _HasPlugins) -> None:
        self._store = store
        self._devices: dict[str, Device] = {}
        self._drivers: dict[str, DeviceDriver] | None = None

    @classmethod
    def from_plugins(cls, plugins: pluggy.PluginManager | None = None) -> Devices:
        """Devices without a store, on a plugin manager (the installed plugins by default).

        For tools that only talk to devices, such as ``possdk devices test``.
        """
        if plugins is None:
            from possdk.plugins import get_plugin_manager

            plugins = get_plugin_manager()
        return cls(_Plugins(plugins))

    # ---- drivers -----------------------------------------------------------------

    @property
    def drivers(self) -> dict[str, DeviceDriver]:
        """Every driver the plugins contribute, by name."""
        if self._drivers is None:
            found: dict[str, DeviceDriver] = {}
            owners: dict[str, str] = {}
            pm = self._store.plugins
            for impl in pm.hook.possdk_devices.get_hookimpls():
                given: list[DeviceDriver] = list(impl.function() or [])  # type: ignore[call-overload]
                for driver in given:
                    if driver.name in found:
                        raise PluginError(
                            f"two plugins contribute a device driver named {driver.name!r} "
                            f"({owners[driver.name]} and {impl.plugin_name}); rename one"
                        )
                    found[driver.name] = driver
                    owners[driver.name] = impl.plugin_name
            self._drivers = found
        return self._drivers

    # ---- the devices -------------------------------------------------------------

    def add(
        self,
        spec: DeviceSpec | str,
        *,
        kind: DeviceKind | str | None = None,
        name: str | None = None,
        register_id: str | None = None,
    ) -> Device:
        """Configure a device from a spec or a URL; returns it (opened on first use).

        Raises:
            DeviceConfigError: a bad URL, an unknown driver, a driver that does
                not make this kind, or a name already in use.
        """
        if isinstance(spec, str):
            if kind is None:
                raise DeviceConfigError(name, f"say what kind of device {spec!r} is: kind=...")
            spec = DeviceSpec.parse(kind, spec, name=name, register_id=register_id)
        if spec.name in self._devices:
            raise DeviceConfigError(spec.name, "a device of this name is configured already")
        driver = self.drivers.get(spec.driver)
        if driver is None:
            known = ", ".join(sorted(self.drivers)) or "none"
            raise DeviceConfigError(
                spec.name,
                f"no device driver {spec.driver!r} (installed: {known}); install its plugin",
            )
        if spec.kind not in driver.kinds:
            raise DeviceConfigError(
                spec.name, f"driver {spec.driver!r} makes no {spec.kind.value} devices"
            )
        device = driver.create(spec)
        self._devices[spec.name] = device
        return device

    def add_all(self, specs: Iterable[DeviceSpec]) -> list[Device]:
        """Configure several devices; none is added if one is refused."""
        specs = list(specs)
        names = [s.name for s in specs]
        for n in names:
            if names.count(n) > 1 or n in self._devices:
                raise DeviceConfigError(n, "two devices have this name")
        added: list[Device] = []
        try:
            for s in specs:
                added.append(self.add(s))
        except Exception:
            for device in added:
                self.remove(device.spec.name)
            raise
        return added

    def load(self, path: str | Path, *, format: ConfigFormat | None = None) -> list[Device]:
        """Configure the devices a file lists (TOML ``[[device]]`` tables, or JSON).

        The format is TOML unless ``format`` or a ``.json`` suffix says JSON
        (TOML needs Python 3.11, or the ``tomli`` package on 3.10). Nothing is
        added if anything is wrong; see :meth:`load_text`.

        Raises:
            DeviceConfigError: the file cannot be read, or any problem
                :meth:`load_text` names.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DeviceConfigError(
                None, f"cannot read device configuration {path}: {exc.strerror or exc}"
            ) from exc
        return self.load_text(text, format=format or format_for(path), source=str(path))

    def load_text(
        self, text: str, *, format: ConfigFormat = "toml", source: str = "<text>"
    ) -> list[Device]:
        """Configure the devices ``[[device]]`` tables describe; returns them in order.

        Each table has ``name``, ``kind`` and ``url``, and optionally
        ``register``, ``driver`` and an ``options`` table. Every problem is
        named by its table (``device #2``, counted from 1) and field, all of
        them in one error; nothing is added if anything is wrong.

        Raises:
            DeviceConfigError: the text does not parse, a field is missing,
                unknown or wrong, a URL or kind is bad, a name is taken, or
                no installed driver makes the device.
        """
        specs = parse_device_config(text, format=format, source=source)
        problems: list[str] = []
        for number, spec in enumerate(specs, start=1):
            where = f"device #{number} ({spec.name})"
            if spec.name in self._devices:
                problems.append(f"{where}, name: a device of this name is configured already")
            driver = self.drivers.get(spec.driver)
            if driver is None:
                known = ", ".join(sorted(self.drivers)) or "none"
                problems.append(
                    f"{where}, driver: no device driver {spec.driver!r} "
                    f"(installed: {known}); install its plugin"
                )
            elif spec.kind not in driver.kinds:
                problems.append(
                    f"{where}, kind: driver {spec.driver!r} makes no {spec.kind.value} devices"
                )
        if problems:
            head = f"{source}: " + (f"{len(problems)} problems\n  " if len(problems) > 1 else "")
            raise DeviceConfigError(None, head + "\n  ".join(problems))
        return self.add_all(specs)

    def get(self, name: str) -> Device:
        """A configured device by name.

        Raises:
            DeviceConfigError: no device has this name.
        """
        try:
            return self._devices[name]
        except KeyError:
            raise DeviceConfigError(name, "no device of this name is configured") from None

    def all(self) -> tuple[Device, ...]:
        """Every configured device, in the order added."""
        return tuple(self._devices.values())

    def find(self, kind: DeviceKind, register_id: str | None = None) -> Device | None:
        """The device of a kind for a register: one assigned to it, else one for any register."""
        shared = None
        for device in self._devices.values():
            if device.spec.kind is not kind:
                continue
            if device.spec.register_id == register_id and register_id is not None:
                return device
            if device.spec.register_id is None and shared is None:
                shared = device
        return shared

    def remove(self, name: str) -> None:
        """Close and forget a device."""
        device = self._devices.pop(name, None)
        if device is not None:
            device.close()

    def close(self) -> None:
        """Stop automatic printing and close every device (the store does it when it closes).

        Receipts still waiting in the print queue are given up to a few seconds
        to print; what is left can be reprinted from the store.
        """
        auto = self._store.plugins.get_plugin("possdk-auto-print")
        queue = getattr(auto, "queue", None)
        if queue is not None:
            try:
                queue.close()
            except Exception:
                log.exception("closing the print queue failed")
        for device in self._devices.values():
            try:
                device.close()
            except Exception:  # closing must not stop the others
                log.exception("closing device %s failed", device.spec.name)

    # ---- what the store asks of them -----------------------------------------------

    def open_drawer(self, register_id: str) -> bool:
        """Open the register's drawer once; False when it has none.

        A :class:`CashDrawer` device is used if one serves the register,
        else the drawer port of its receipt printer (``pin`` option, 2 by default).
        """
        drawer = self.find(DeviceKind.CASH_DRAWER, register_id)
        if isinstance(drawer, CashDrawer):
            drawer.open()
            drawer.open_drawer()
            return True
        printer = self.find(DeviceKind.RECEIPT_PRINTER, register_id)
        if isinstance(printer, ReceiptPrinter):
            printer.open()
            printer.kick_drawer(int(printer.spec.options.get("pin", "2")))
            return True
        return False


class DevicesPlugin:
    """The store's own hook implementations for its devices (registered per store)."""

    def __init__(self, devices: Devices) -> None:
        self.devices = devices

    @hookimpl
    def possdk_cash_drawer_open(self, register_id: str, reason: str) -> None:
        """Kick the register's drawer after a cash tender or a "no sale"."""
        if self.devices.open_drawer(register_id):
            log.info("drawer of %s opened (%s)", register_id, reason)
