"""The public API is small, documented and typed."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import possdk
import possdk.core
import possdk.drivers
import possdk.errors
import possdk.inventory
import possdk.loyalty
import possdk.payments
import possdk.reports

MODULES = [
    possdk,
    possdk.core,
    possdk.errors,
    possdk.payments,
    possdk.inventory,
    possdk.loyalty,
    possdk.drivers,
    possdk.reports,
]


def public_names():  # type: ignore[no-untyped-def]
    for module in MODULES:
        for name in module.__all__:
            yield module.__name__, name, getattr(module, name)


@pytest.mark.parametrize(
    ("module", "name", "obj"), list(public_names()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_public_name_has_a_docstring(module, name, obj):
    if name == "__version__" or inspect.ismodule(obj):
        return
    assert inspect.getdoc(obj), f"{module}.{name} has no docstring"
    if inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if attr.startswith("_") or (not callable(member) and not isinstance(member, property)):
                continue
            target = member.fget if isinstance(member, property) else member
            assert inspect.getdoc(target), f"{module}.{name}.{attr} has no docstring"


def test_all_lists_only_existing_names_and_ships_py_typed():
    for module in MODULES:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name}"
    assert (Path(possdk.__file__).parent / "py.typed").exists()


def test_import_possdk_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, possdk; heavy = {'babel.numbers', 'click', 'escpos', 'serial', 'psycopg',"
        " 'sqlalchemy', 'alembic'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
