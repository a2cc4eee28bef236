"""A real plugin package, installed with pip, is found through the ``possdk`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "sample_plugin"

SCRIPT = textwrap.dedent(
    """
    from datetime import datetime, timezone
    import possdk
    from tests.conftest import make_catalog, CASHIER
    pm = possdk.get_plugin_manager()
    print("plugins:", sorted(name for name, _ in pm.list_name_plugin()))
    store = possdk.Store.create(possdk.Settings(currency="UAH"), catalog=make_catalog(),
                                operators=[CASHIER])
    session = store.register("till-1").open_session(operator="cashier", opening_float="0")
    sale = session.new_sale()
    sale.add("COFFEE", 2)
    sale.add("BREAD")
    sale.pay("card")
    print(sale.complete().as_text(locale="en_US"))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(SAMPLE),
        ],
        check=True,
        capture_output=True,
    )
    assert any(p.name.endswith(".dist-info") for p in target.iterdir())
    return target


def run(site: Path | None, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    root = str(Path(__file__).parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site) if site else "", root) if p)
    env["POSSDK_SAMPLE_LOG"] = str(tmp_path / "completed.log")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_installed_plugin_is_found_and_called(installed: Path, tmp_path: Path) -> None:
    result = run(installed, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "'sample'" in result.stdout
    assert "Coffee -10" in result.stdout  # the promotion hook priced the sale
    assert "TOTAL" in result.stdout and "400.50" in result.stdout  # 2*189 - 10 + 32.50
    assert "Thank you! (till-1/000001)" in result.stdout  # receipt extra lines
    assert (tmp_path / "completed.log").read_text() == "till-1/000001\n"  # event hook


def test_without_the_package_nothing_is_loaded(tmp_path: Path) -> None:
    result = run(None, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "'sample'" not in result.stdout and "Coffee -10" not in result.stdout
    assert "410.50" in result.stdout
