"""Device specs from URLs, the registry, configuration files and the drawer after cash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from possdk._hooks import hookimpl
from possdk.drivers import (
    Device,
    DeviceKind,
    Devices,
    DeviceSpec,
    ReceiptPrinter,
)
from possdk.drivers._sim import SimDriver
from possdk.errors import DeviceConfigError, PluginError
from possdk.plugins import get_plugin_manager
from tests.conftest import make_store

# ---- specs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "driver", "transport", "address", "options"),
    [
        ("escpos+tcp://10.0.0.5:9100", "escpos", "tcp", "10.0.0.5:9100", {}),
        (
            "escpos+serial:///dev/ttyUSB0?baudrate=19200",
            "escpos",
            "serial",
            "/dev/ttyUSB0",
            {"baudrate": "19200"},
        ),
        ("escpos+usb://04b8:0202", "escpos", "usb", "04b8:0202", {}),
        ("escpos+file:///dev/usb/lp0", "escpos", "file", "/dev/usb/lp0", {}),
        ("sim://", "sim", "sim", "", {}),
        ("sim://?width=32", "sim", "sim", "", {"width": "32"}),
    ],
)
def test_every_url_form_of_the_issue(
    url: str, driver: str, transport: str, address: str, options: dict[str, str]
) -> None:
    spec = DeviceSpec.parse("receipt_printer", url, name="p")
    assert (spec.driver, spec.transport, spec.address) == (driver, transport, address)
    assert dict(spec.options) == options
    assert DeviceSpec.parse("receipt_printer", spec.url, name="p") == spec


def test_a_bare_transport_takes_the_driver_given() -> None:
    spec = DeviceSpec.parse(DeviceKind.SCALE, "serial:///dev/ttyACM0", driver="toledo")
    assert (spec.driver, spec.transport, spec.address) == ("toledo", "serial", "/dev/ttyACM0")
    with pytest.raises(DeviceConfigError, match="names no driver: write driver\\+serial"):
        DeviceSpec.parse(DeviceKind.SCALE, "serial:///dev/ttyACM0", name="s")


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("printer", "sim://", "unknown device kind 'printer'; use one of receipt_printer"),
        ("scale", "/dev/ttyACM0", "a device URL looks like escpos\\+tcp://"),
        ("scale", "toledo+bluetooth://aa:bb", "unknown transport 'bluetooth'"),
        ("receipt_printer", "escpos+tcp://", "names no tcp address"),
        ("receipt_printer", "escpos+file://", "names no file address"),
    ],
)
def test_bad_specs_say_what_is_wrong(kind: str, url: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message) as caught:
        DeviceSpec.parse(kind, url, name="dev-1")
    assert caught.value.device == "dev-1"


# ---- the registry -------------------------------------------------------------------


def test_sim_builds_every_kind_but_card_terminals() -> None:
    devices = Devices.from_plugins(get_plugin_manager(load_entry_points=False))
    for kind in DeviceKind:
        if kind is DeviceKind.CARD_TERMINAL:
            with pytest.raises(DeviceConfigError, match="driver 'sim' makes no card_terminal"):
                devices.add("sim://", kind=kind, name=kind.value)
        else:
            device = devices.add("sim://", kind=kind, name=kind.value)
            assert isinstance(device, Device) and device.spec.kind is kind
    with pytest.raises(DeviceConfigError, match="needs a sim:// URL, got tcp://"):
        SimDriver().create(DeviceSpec.parse("scale", "sim+tcp://h:1", name="x"))


def test_unknown_driver_and_taken_name() -> None:
    devices = Devices.from_plugins(get_plugin_manager(load_entry_points=False))
    with pytest.raises(DeviceConfigError, match=r"no device driver 'acme'.*install its plugin"):
        devices.add("acme+serial:///dev/ttyUSB0", kind="scale", name="scale-1")
    devices.add("sim://", kind="scale", name="scale-1")
    with pytest.raises(DeviceConfigError, match="scale-1: a device of this name"):
        devices.add("sim://", kind="scale", name="scale-1")


class _Clash:
    @hookimpl
    def possdk_devices(self) -> list[SimDriver]:
        return [SimDriver()]


def test_two_plugins_with_one_driver_name_clash() -> None:
    pm = get_plugin_manager(load_entry_points=False, plugins=[_Clash()])
    with pytest.raises(PluginError, match="two plugins contribute a device driver named 'sim'"):
        Devices.from_plugins(pm).drivers  # noqa: B018


# ---- configuration files --------------------------------------------------------------

GOOD = """
[[device]]
name = "printer-1"
kind = "receipt_printer"
url = "sim://?width=32"
register = "till-1"

[[device]]
name = "scale-1"
kind = "scale"
url = "sim://"
options = { weight = 1.25, beeps = true }
"""


def fresh() -> Devices:
    return Devices.from_plugins(get_plugin_manager(load_entry_points=False))


def test_a_toml_file_configures_devices(tmp_path: Path) -> None:
    path = tmp_path / "devices.toml"
    path.write_text(GOOD, encoding="utf-8")
    devices = fresh()
    added = devices.load(path)
    assert [d.spec.name for d in added] == ["printer-1", "scale-1"]
    assert devices.get("printer-1").spec.register_id == "till-1"
    assert dict(devices.get("scale-1").spec.options) == {"weight": "1.25", "beeps": "true"}


def test_json_has_the_same_shape(tmp_path: Path) -> None:
    path = tmp_path / "devices.json"
    tables = [{"name": "display-1", "kind": "display", "url": "sim://", "register": "till-2"}]
    path.write_text(json.dumps({"device": tables}), encoding="utf-8")
    devices = fresh()
    devices.load(path)
    assert devices.find(DeviceKind.DISPLAY, "till-2") is devices.get("display-1")


def test_every_problem_is_named_by_table_and_field_and_nothing_is_added() -> None:
    devices = fresh()
    text = """
[[device]]
name = "ok-1"
kind = "scale"
url = "sim://"

[[device]]
name = "p"
kind = "printr"
url = "sim://"

[[device]]
kind = "scale"
url = "sim://"
colour = "red"

[[device]]
name = "x"
kind = "scale"
url = "sim://?weight=1"
options = { weight = 2 }

[[device]]
name = "ok-1"
kind = "display"
url = "sim://"
"""
    with pytest.raises(DeviceConfigError) as caught:
        devices.load_text(text, source="devices.toml")
    message = str(caught.value)
    assert message.startswith("devices.toml: 5 problems\n")
    assert "device #2 (p), kind: unknown device kind 'printr'" in message
    assert "device #3, colour: unknown field" in message
    assert "device #3, name: missing" in message
    assert "device #4 (x), options: weight given both in the URL and in options" in message
    assert "device #5 (ok-1), name: device #1 has this name already" in message
    assert devices.all() == ()


def test_drivers_and_kinds_are_checked_before_anything_is_added() -> None:
    devices = fresh()
    devices.add("sim://", kind="display", name="display-1")
    text = """
[[device]]
name = "printer-1"
kind = "receipt_printer"
url = "sim://"

[[device]]
name = "scale-1"
kind = "scale"
url = "acme+serial:///dev/ttyACM0"

[[device]]
name = "display-1"
kind = "display"
url = "sim://"
"""
    with pytest.raises(DeviceConfigError) as caught:
        devices.load_text(text)
    message = str(caught.value)
    assert "device #2 (scale-1), driver: no device driver 'acme' (installed: " in message
    assert "install its plugin" in message
    assert "device #3 (display-1), name: a device of this name is configured already" in message
    assert [d.spec.name for d in devices.all()] == ["display-1"]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("[[device]\nname=", "toml", "<text>: not valid TOML"),
        ("{", "json", "<text>: not valid JSON"),
        ('device = "x"', "toml", "expected \\[\\[device\\]\\] tables"),
        ('[[device]]\nname = "a"\nkind = "scale"\nurl = 5', "toml", "url: expected a non-empty"),
        ('[[printer]]\nname = "a"', "toml", "unknown top-level key\\(s\\) printer"),
    ],
)
def test_broken_files_are_refused(text: str, fmt: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message):
        fresh().load_text(text, format=fmt)  # type: ignore[arg-type]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(DeviceConfigError, match=r"cannot read device configuration .*nope\.toml"):
        fresh().load(tmp_path / "nope.toml")


# ---- the drawer after cash --------------------------------------------------------------


def _cash_sale(store: object) -> None:
    session = store.register("till-1").open_session(  # type: ignore[attr-defined]
        operator="cashier", opening_float="0"
    )
    sale = session.new_sale()
    sale.add("BREAD")
    sale.pay("cash", "50")
    sale.complete()


def test_a_cash_sale_opens_the_sim_drawer_once() -> None:
    store = make_store()
    try:
        store.devices.add("sim://", kind="cash_drawer", name="drawer-1", register_id="till-1")
        printer = store.devices.add("sim://", kind="receipt_printer", register_id="till-1")
        _cash_sale(store)
        drawer = store.devices.get("drawer-1")
        assert drawer.status().drawer_open is True
        assert drawer.opens == 1  # type: ignore[attr-defined]
        assert isinstance(printer, ReceiptPrinter)
        assert printer.kicks == []  # type: ignore[attr-defined]  # a drawer device: no kick
    finally:
        store.close()


def test_without_a_drawer_the_printer_kicks_once_on_its_pin() -> None:
    store = make_store()
    try:
        printer = store.devices.add(
            "sim://?pin=5", kind="receipt_printer", name="printer-1", register_id="till-1"
        )
        store.devices.add("sim://", kind="cash_drawer", name="other", register_id="till-2")
        _cash_sale(store)
        assert printer.kicks == [5]  # type: ignore[attr-defined]
        assert store.devices.open_drawer("till-3") is False  # till-3 has no drawer of its own
    finally:
        store.close()
