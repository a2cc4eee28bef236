"""Device configuration files: ``[[device]]`` tables in TOML (or the same shape in JSON).

.. code-block:: toml

    [[device]]
    name = "printer-1"
    kind = "receipt_printer"
    url = "escpos+tcp://10.0.0.5:9100"
    register = "till-1"

    [[device]]
    name = "scale-1"
    kind = "scale"
    url = "serial:///dev/ttyACM0?baudrate=9600"
    driver = "toledo"
    options = { timeout = 2 }

Reading is all or nothing: every problem is collected, named by its table
(``device #2``, counted from 1) and field, and raised together.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from possdk.drivers._base import DeviceSpec
from possdk.errors import DeviceConfigError

__all__ = ["ConfigFormat", "format_for", "parse_device_config"]

ConfigFormat = Literal["toml", "json"]

_FIELDS = ("name", "kind", "url", "register", "driver", "options")
_REQUIRED = ("name", "kind", "url")


def format_for(path: str | Path) -> ConfigFormat:
    """The format a file's suffix says: ``.json`` is JSON, anything else TOML."""
    return "json" if Path(path).suffix.lower() == ".json" else "toml"


def _load_toml(text: str, source: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 has no tomllib
        try:
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise DeviceConfigError(
                None,
                f"{source}: reading TOML needs Python 3.11 or the tomli package; "
                "install tomli or write the same tables as JSON",
            ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeviceConfigError(None, f"{source}: not valid TOML: {exc}") from exc


def _load_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceConfigError(None, f"{source}: not valid JSON: {exc}") from exc


def _option_text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def parse_device_config(
    text: str, *, format: ConfigFormat = "toml", source: str = "<text>"
) -> list[DeviceSpec]:
    """Read ``[[device]]`` tables into specs; raises one error naming every problem.

    Each table has ``name``, ``kind`` (a :class:`~possdk.drivers.DeviceKind`
    value such as ``"receipt_printer"``) and ``url``; optionally ``register``
    (the register it serves), ``driver`` (when the URL's scheme is only a
    transport) and ``options`` (added to the URL's query; a value given in
    both places is an error).

    Raises:
        DeviceConfigError: the text does not parse, a table has a missing,
            unknown or wrong field, a URL or kind is wrong, or two tables
            share a name. Its message lists every problem, one per line.
    """
    if format not in ("toml", "json"):
        raise DeviceConfigError(None, f"{source}: unknown format {format!r}; use toml or json")
    data = _load_toml(text, source) if format == "toml" else _load_json(text, source)
    if not isinstance(data, Mapping) or not isinstance(data.get("device", []), list):
        raise DeviceConfigError(
            None, f'{source}: expected [[device]] tables (in JSON: {{"device": [{{...}}]}})'
        )
    unknown_top = sorted(str(k) for k in data if k != "device")
    problems: list[str] = []
    if unknown_top:
        problems.append(f"unknown top-level key(s) {', '.join(unknown_top)}; only [[device]]")
    specs: list[DeviceSpec] = []
    seen: dict[str, int] = {}
    for number, table in enumerate(data.get("device", []), start=1):
        where = f"device #{number}"
        if not isinstance(table, Mapping):
            problems.append(f"{where}: expected a table, got {type(table).__name__}")
            continue
        if isinstance(table.get("name"), str) and table["name"]:
            where = f"device #{number} ({table['name']})"
        bad = False
        for key in sorted(str(k) for k in table if k not in _FIELDS):
            problems.append(f"{where}, {key}: unknown field; use {', '.join(_FIELDS)}")
            bad = True
        for key in _REQUIRED:
            if key not in table:
                problems.append(f"{where}, {key}: missing")
                bad = True
        for key in ("name", "kind", "url", "register", "driver"):
            if key in table and (not isinstance(table[key], str) or not table[key]):
                problems.append(f"{where}, {key}: expected a non-empty string, got {table[key]!r}")
                bad = True
        options: dict[str, str] = {}
        raw_options = table.get("options", {})
        if not isinstance(raw_options, Mapping):
            problems.append(f"{where}, options: expected a table, got {raw_options!r}")
            bad = True
        else:
            for key, value in raw_options.items():
                text_value = _option_text(value)
                if text_value is None:
                    problems.append(
                        f"{where}, options.{key}: expected a string, number or boolean, "
                        f"got {value!r}"
                    )
                    bad = True
                else:
                    options[str(key)] = text_value
        if bad:
            continue
        name = table["name"]
        if name in seen:
            problems.append(f"{where}, name: device #{seen[name]} has this name already")
            continue
        seen[name] = number
        try:
            spec = DeviceSpec.parse(
                table["kind"],
                table["url"],
                name=name,
                register_id=table.get("register"),
                driver=table.get("driver"),
            )
        except DeviceConfigError as exc:
            field = "kind" if "device kind" in str(exc) else "url"
            problems.append(f"{where}, {field}: {_without_device(exc)}")
            continue
        clash = sorted(set(options) & set(spec.options))
        if clash:
            problems.append(
                f"{where}, options: {', '.join(clash)} given both in the URL and in options"
            )
            continue
        if options:
            spec = attrs.evolve(spec, options={**spec.options, **options})
        specs.append(spec)
    if problems:
        raise DeviceConfigError(None, _joined(source, problems))
    return specs


def _without_device(exc: DeviceConfigError) -> str:
    text = str(exc)
    prefix = f"{exc.device}: " if exc.device else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _joined(source: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: {len(problems)} problems\n" + "\n".join(f"  {p}" for p in problems)
