"""The example driver plugin package installs with pip and passes its own tests (the driver kit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "driver_plugin"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
    )
    assert any(p.name.startswith("possdk_acme_scale-") for p in target.iterdir())
    return target


def env_with(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT / "src")])
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="the example's tests use a pseudo-terminal")
def test_the_example_plugin_passes_its_tests_and_the_driver_kit(site: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(tmp_path),
            str(EXAMPLE / "tests"),
        ],
        env=env_with(site),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
    assert "skipped" not in result.stdout  # the virtual scale plays every part the kit asks


def test_the_installed_plugin_is_a_driver_the_cli_uses(site: Path, tmp_path: Path) -> None:
    config = tmp_path / "devices.toml"
    config.write_text(
        '[[device]]\nname = "scale-1"\nkind = "scale"\n'
        'url = "acme+serial:///dev/possdk-no-such-port?timeout=0.2"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "possdk.cli", "devices", "test", "--config", str(config)],
        env=env_with(site),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "scale-1 (scale): FAILED: scale-1: cannot open /dev/possdk-no-such-port" in result.stdout
