"""``possdk devices list/test`` and ``possdk demo --devices sim``, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

POSSDK = Path(sys.executable).parent / "possdk"

CONFIG = """
[[device]]
name = "printer-1"
kind = "receipt_printer"
url = "sim://?width=32"
register = "till-1"

[[device]]
name = "drawer-1"
kind = "cash_drawer"
url = "sim://"
register = "till-1"

[[device]]
name = "scale-1"
kind = "scale"
url = "sim://?weight=1.25"

[[device]]
name = "display-1"
kind = "display"
url = "sim://"
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSSDK), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_list_shows_every_device_with_its_status(tmp_path: Path) -> None:
    (tmp_path / "devices.toml").write_text(CONFIG, encoding="utf-8")
    result = cli("devices", "list", "--config", "devices.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "REGISTER", "URL", "STATUS"]
    assert lines[1].split()[:4] == ["printer-1", "receipt_printer", "till-1", "sim://?width=32"]
    assert "ready (drawer closed)" in lines[1]
    assert "ready (scale stable)" in lines[3]


def test_test_prints_kicks_reads_and_shows(tmp_path: Path) -> None:
    (tmp_path / "devices.toml").write_text(CONFIG, encoding="utf-8")
    result = cli("devices", "test", "--config", "devices.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "printer-1 (receipt_printer): printed a test receipt\n  | possdk test receipt" in out
    assert "drawer-1 (cash_drawer): kicked the drawer open" in out
    assert "scale-1 (scale): read 1.25 kg (stable)" in out
    assert "display-1 (display): showed a test message (20 characters wide)" in out
    one = cli("devices", "test", "--config", "devices.toml", "scale-1", cwd=tmp_path)
    assert one.stdout == "scale-1 (scale): read 1.25 kg (stable)\n"


def test_a_failing_device_fails_the_test_with_its_reason(tmp_path: Path) -> None:
    config = CONFIG + '\n[[device]]\nname = "scale-2"\nkind = "scale"\nurl = "sim://?weight=-1"\n'
    (tmp_path / "devices.toml").write_text(config, encoding="utf-8")
    result = cli("devices", "test", "--config", "devices.toml", cwd=tmp_path)
    assert result.returncode == 1
    assert "scale-2 (scale): FAILED: scale-2: it reads -1 kg, under_zero" in result.stdout
    assert "1 of 5 device(s) failed" in result.stderr


def test_a_bad_config_names_the_table_and_field(tmp_path: Path) -> None:
    (tmp_path / "devices.toml").write_text(
        '[[device]]\nname = "p"\nkind = "printer"\nurl = "sim://"\n', encoding="utf-8"
    )
    result = cli("devices", "list", "--config", "devices.toml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: devices.toml: device #1 (p), kind: unknown device kind 'printer'"
    )


def test_demo_with_sim_devices_shows_what_the_printer_printed(tmp_path: Path) -> None:
    result = cli("demo", "--db", "sqlite://", "--devices", "sim", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "--- devices on till-1: printer-1, drawer-1, display-1" in out
    assert out.count("(printed on printer-1) ===") == 13
    assert "СУМА                            387,36 грн" in out  # decoded from ESC/POS bytes
    assert "|Total               |\n|          387.36 UAH|" in out  # a display frame
    assert "|Change    112.60 UAH|" in out
    assert "--- the cash drawer was opened 6 times" in out  # 4 cash sales, a refund, a paid-out
    assert "Z-ЗВІТ №1" in out
