"""The CD5220 pole display's bytes over loop:// and a pseudo-terminal; transliteration."""

from __future__ import annotations

import pytest

from possdk import Money, Store
from possdk.drivers import DeviceKind, DeviceSpec
from possdk.drivers._display import PoleDisplay, transliterate
from possdk.drivers._sim_serial import SimDisplay
from possdk.errors import DeviceConfigError, DeviceError

from ._serial_helpers import pty_pair, read_master, spec

CLEAR_HOME = b"\x0c\x0b"


def display(url: str) -> PoleDisplay:
    return PoleDisplay(spec(DeviceKind.DISPLAY, url, "cd5220"))


def sent(d: PoleDisplay) -> bytes:
    return bytes(d.link.port.read(4096))


def test_show_writes_both_lines_in_string_mode() -> None:
    d = display("loop://")
    try:
        d.show("Milk 1 l", "41.90 UAH")
        assert sent(d) == (
            b"\x1b@\x0c"  # initialise and clear on open
            + CLEAR_HOME
            + b"\x1bQAMilk 1 l            \r"
            + b"\x1bQB41.90 UAH           \r"
        )
        d.clear()
        assert sent(d) == b"\x0c"
    finally:
        d.close()


def test_cyrillic_is_transliterated_by_default() -> None:
    d = display("loop://")
    try:
        d.show_change(Money("12.5", "UAH"), thanks="Дякуємо!", label="Решта")
        data = sent(d)
    finally:
        d.close()
    assert b"\x1bQA     Diakuiemo!     \r" in data
    assert b"\x1bQBReshta     12.50 UAH\r" in data
    assert data.isascii()


def test_a_code_page_sends_esc_t_and_encodes() -> None:
    d = display("loop://?encoding=cp866&codepage=17")
    try:
        d.show("Хліб ґ")
        data = sent(d)
    finally:
        d.close()
    assert data.startswith(b"\x1b@\x1bt\x11\x0c")
    # cp866 has Cyrillic but neither the Ukrainian і nor ґ: they are transliterated.
    assert b"\x1bQA" + "Хлiб g".encode("cp866") + b" " * 14 + b"\r" in data


def test_lines_are_cut_to_the_width_and_control_bytes_removed() -> None:
    d = display("loop://?width=10")
    try:
        d.show("Bananas\r\x1b@ imported")
        data = sent(d)
    finally:
        d.close()
    assert b"\x1bQABananas  @\r" in data
    with pytest.raises(DeviceError, match="at most 2 lines"):
        d.frame("1", "2", "3")


def test_helpers_lay_out_item_and_total() -> None:
    d = display("loop://")
    try:
        d.show_item("Сир твердий", Money("459.00", "UAH"))
        d.show_total(Money("1234.5", "UAH"), label="Разом")
        data = sent(d)
    finally:
        d.close()
    assert b"\x1bQASyr tverdyi         \r\x1bQB          459.00 UAH\r" in data
    assert b"\x1bQARazom               \r\x1bQB         1234.50 UAH\r" in data


def test_pty_display_gets_the_bytes() -> None:
    with pty_pair() as (master, path):
        d = display(f"serial://{path}?baudrate=19200")
        try:
            d.open()
            assert read_master(master, 3) == b"\x1b@\x0c"
            d.show("Total", "99.00 UAH")
            expected = CLEAR_HOME + b"\x1bQATotal" + b" " * 15 + b"\r\x1bQB99.00 UAH" + b" " * 11
            assert read_master(master, len(expected) + 1) == expected + b"\r"
            assert d.status().online
        finally:
            d.close()
        assert not d.status().online


def test_transliteration() -> None:
    assert transliterate("Дякуємо") == "Diakuiemo"
    assert transliterate("Юлія Їжак Згорани") == "Yuliia Yizhak Zghorany"
    assert transliterate("ЩУКА") == "SHCHUKA"
    assert transliterate("Café №5 «Луна» ₴") == 'Cafe No5 "Luna" UAH'
    assert transliterate("日本") == "??"


def test_bad_options() -> None:
    with pytest.raises(DeviceConfigError, match="single-byte"):
        display("loop://?encoding=utf-16")
    with pytest.raises(DeviceConfigError, match="width"):
        display("loop://?width=2")


def test_sim_display_records_frames(store: Store) -> None:
    sim = store.devices.add("sim://", kind=DeviceKind.DISPLAY)
    assert isinstance(sim, SimDisplay)
    sim.show_item("Молоко", Money("41.90", "UAH"))
    sim.show_total(Money("41.9", "UAH"))
    sim.show_change(Money("8.10", "UAH"), thanks="Дякуємо!")
    sim.clear()
    assert sim.frames == [
        ["Moloko", "           41.90 UAH"],
        ["Total", "           41.90 UAH"],
        ["     Diakuiemo!", "Change      8.10 UAH"],
        [],
    ]
    assert sim.current == []
    with pytest.raises(DeviceError):
        sim.show("a", "b", "c")
    wide = SimDisplay(DeviceSpec.parse(DeviceKind.DISPLAY, "sim://?width=8&rows=1"))
    wide.show("Thank you")
    assert wide.shown() == "Thank yo"
