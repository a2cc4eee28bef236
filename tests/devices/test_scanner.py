"""Serial barcode scanners over real pyserial: loop:// and pseudo-terminals."""

from __future__ import annotations

import logging
import os
import queue
import time

import pytest

from possdk.drivers import DeviceKind, Scan
from possdk.drivers._scanner import ScanValidator, SerialScanner
from possdk.drivers._serial_io import FrameReader
from possdk.errors import DeviceConfigError, DeviceError

from ._serial_helpers import pty_pair, spec

EAN13 = "4006381333931"
EAN8 = "96385074"
UPC = "036000291452"


def scanner(url: str) -> SerialScanner:
    return SerialScanner(spec(DeviceKind.SCANNER, url, "serial-scanner"))


def take(q: queue.Queue[Scan], n: int, timeout: float = 2.0) -> list[str]:
    return [q.get(timeout=timeout).code for _ in range(n)]


def nothing_more(q: queue.Queue[Scan]) -> bool:
    try:
        q.get(timeout=0.15)
    except queue.Empty:
        return True
    return False


@pytest.fixture
def scans() -> queue.Queue[Scan]:
    return queue.Queue()


def test_loop_delivers_valid_scans_in_order(scans: queue.Queue[Scan]) -> None:
    s = scanner("loop://?terminator=CR")
    s.start(scans.put)
    try:
        s.link.port.write(f"{EAN13}\r{EAN8}\r{UPC}\r".encode())
        assert take(scans, 3) == [EAN13, EAN8, UPC]
    finally:
        s.close()
    assert not s.running


def test_garbage_is_dropped_with_a_warning(
    scans: queue.Queue[Scan], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    s = scanner("loop://?terminator=CR")
    s.start(scans.put)
    try:
        s.link.port.write(b"4006381333932\r\xff\xfe\x00junk\rABC\r" + EAN13.encode() + b"\r")
        assert take(scans, 1) == [EAN13]
        assert nothing_more(scans)
    finally:
        s.close()
    text = caplog.text
    assert "check digit is 2 but should be 1" in text
    assert "not ASCII" in text
    assert "not a valid code of the allowed symbologies" in text
    assert s.status().online is False  # closed


def test_prefix_suffix_and_crlf_split_across_writes(scans: queue.Queue[Scan]) -> None:
    s = scanner("loop://?terminator=CRLF&prefix=STX&suffix=ETX")
    s.start(scans.put)
    try:
        port = s.link.port
        port.write(b"\x02" + EAN13.encode() + b"\x03\r")
        time.sleep(0.08)  # the CR and the LF arrive in two reads
        port.write(b"\n\x02" + EAN8[:4].encode())
        port.write(EAN8[4:].encode() + b"\x03\r\n")
        assert take(scans, 2) == [EAN13, EAN8]
    finally:
        s.close()


def test_a_frame_without_its_prefix_or_suffix_is_dropped(
    scans: queue.Queue[Scan], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    s = scanner("loop://?terminator=CR&prefix=STX&suffix=ETX")
    s.start(scans.put)
    try:
        s.link.port.write(EAN13.encode() + b"\x03\r")  # no STX
        s.link.port.write(b"\x02" + EAN13.encode() + b"\r")  # no ETX
        s.link.port.write(b"\x0240063\x02" + EAN8.encode() + b"\x03\r")  # a partial one first
        assert take(scans, 1) == [EAN8]
        assert nothing_more(scans)
    finally:
        s.close()
    assert "without its prefix" in caplog.text
    assert "without its suffix" in caplog.text
    assert "partial frame before the prefix" in caplog.text


def test_overlong_input_is_dropped_and_reading_resumes(
    scans: queue.Queue[Scan], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    s = scanner("loop://?terminator=CR&max_length=20")
    s.start(scans.put)
    try:
        s.link.port.write(b"1" * 500 + b"\r" + EAN13.encode() + b"\r")
        assert take(scans, 1) == [EAN13]
    finally:
        s.close()
    assert "overlong" in caplog.text


def test_other_symbologies_only_when_allowed(scans: queue.Queue[Scan]) -> None:
    s = scanner("loop://?terminator=CR&symbologies=gtin,code128")
    s.start(scans.put)
    try:
        # A 13-digit code must still pass its check digit: it is read as an EAN.
        s.link.port.write(b"ORDER-1234\r4006381333932\rlot 7/A\r")
        assert take(scans, 2) == ["ORDER-1234", "lot 7/A"]
        assert nothing_more(scans)
    finally:
        s.close()
    with pytest.raises(DeviceConfigError, match="symbologies"):
        scanner("loop://?symbologies=qr")


def test_a_failing_handler_is_logged_and_reading_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[str] = []

    def handler(scan: Scan) -> None:
        got.append(scan.code)
        if len(got) == 1:
            raise RuntimeError("the app's handler broke")

    s = scanner("loop://?terminator=CR")
    s.start(handler)
    try:
        s.link.port.write(f"{EAN13}\r{EAN8}\r".encode())
        deadline = time.monotonic() + 2
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        s.close()
    assert got == [EAN13, EAN8]
    assert "the scan handler failed" in caplog.text


def test_stop_joins_the_thread_and_start_twice_is_refused(scans: queue.Queue[Scan]) -> None:
    s = scanner("loop://")
    s.start(scans.put)
    thread = s._thread
    assert thread is not None and thread.is_alive()
    with pytest.raises(DeviceError, match="already reading"):
        s.start(scans.put)
    s.stop()
    assert not thread.is_alive()
    s.stop()  # idempotent
    s.start(scans.put)  # and restartable
    s.link.port.write(f"{EAN8}\n".encode())
    assert take(scans, 1) == [EAN8]
    s.close()
    s.close()


def test_pty_scanner_reads_what_the_device_sends(scans: queue.Queue[Scan]) -> None:
    with pty_pair() as (master, path):
        s = scanner(f"serial://{path}?baudrate=115200&terminator=CR")
        s.start(scans.put)  # open before the device writes: opening flushes input
        try:
            os.write(master, f"{EAN13}\rnoise".encode())
            time.sleep(0.3)  # a pause: the partial "noise" frame is dropped
            os.write(master, f"{UPC}\r".encode())
            assert take(scans, 2) == [EAN13, UPC]
            assert s.status().online
        finally:
            s.close()


def test_pty_unplugged_scanner_goes_offline_after_reconnect_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    with pty_pair() as (master, path):
        s = scanner(f"serial://{path}?retries=2&backoff=0.01")
        s.start(lambda scan: None)
        os.close(master)  # the cable is pulled
        deadline = time.monotonic() + 5
        while s.running and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            assert not s.running
            status = s.status()
            assert status.online is False
            assert "reconnect" in status.message or "failed" in status.message
        finally:
            s.close()


def test_through_store_devices(store: object) -> None:
    from possdk import Store

    assert isinstance(store, Store)
    device = store.devices.add("serial-scanner+loop://?terminator=CR", kind="scanner")
    assert isinstance(device, SerialScanner)
    got: queue.Queue[Scan] = queue.Queue()
    device.start(got.put)
    try:
        device.link.port.write(f"{EAN13}\r".encode())
        assert take(got, 1) == [EAN13]
    finally:
        store.devices.remove(device.spec.name)
    assert not device.running


def test_validator_rules() -> None:
    v = ScanValidator()
    assert v.check(" 4006381333931 ") == EAN13
    assert v.check("4006381333932") is None
    assert v.check("") is None
    v39 = ScanValidator(frozenset({"code39"}))
    assert v39.check("ABC-123") == "ABC-123"
    assert v39.check("abc") is None


def test_frame_reader_drops_a_partial_frame_after_a_pause() -> None:
    r = FrameReader(b"\r", frame_timeout=0.2)
    assert r.feed(b"4006", now=1.0) == []
    assert r.feed(EAN8.encode() + b"\r", now=1.5) == [EAN8.encode()]
    assert r.dropped == 1
    assert r.feed(b"9638", now=2.0) == []
    assert r.feed(b"5074\r", now=2.05) == [EAN8.encode()]


def test_sim_scanner_validates_like_the_real_one(
    store: object, caplog: pytest.LogCaptureFixture
) -> None:
    from possdk import Store
    from possdk.drivers._sim_serial import SimScanner
    from possdk.errors import DeviceNotReadyError, DeviceOfflineError

    assert isinstance(store, Store)
    sim = store.devices.add(f"sim://?codes={EAN13},{EAN13[:-1]}0,{EAN8}", kind="scanner")
    assert isinstance(sim, SimScanner)
    with pytest.raises(DeviceNotReadyError, match="start"):
        sim.scan(EAN13)
    got: list[str] = []
    sim.start(lambda scan: got.append(scan.code))
    assert sim.play() == [EAN13, EAN8]  # the bad check digit is dropped
    assert "check digit" in caplog.text
    assert sim.scan(UPC) is True
    assert sim.scan("not a code") is False
    assert sim.feed(b"\x00\xff\r" + EAN8[:3].encode()) == []
    assert sim.feed(EAN8[3:].encode() + b"\r") == [EAN8]  # split across feeds, like a port
    assert got == [EAN13, EAN8, UPC, EAN8]
    sim.online = False
    with pytest.raises(DeviceOfflineError):
        sim.scan(EAN13)
    sim.close()
    assert not sim.running
