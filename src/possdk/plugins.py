"""The plugin manager: hookspecs of every area, built-in plugins, entry points.

Third-party plugins declare an entry point in the ``possdk`` group::

    [project.entry-points."possdk"]
    my_plugin = "my_package.plugin"
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

import pluggy

from possdk._hooks import PROJECT, hookimpl, hookspec
from possdk.errors import PluginError

__all__ = ["BUILTIN_PLUGINS", "ENTRY_POINT_GROUP", "get_plugin_manager", "hookimpl", "hookspec"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "possdk"
"""The entry-point group third-party plugins register under."""

HOOKSPEC_MODULES = (
    "possdk.core.hookspecs",
    "possdk.storage.hookspecs",
    "possdk.payments.hookspecs",
    "possdk.inventory.hookspecs",
    "possdk.loyalty.hookspecs",
    "possdk.drivers.hookspecs",
)

BUILTIN_PLUGINS = (
    "possdk.core._builtin",
    "possdk.storage._builtin",
    "possdk.payments._builtin",
    "possdk.loyalty._builtin",
    "possdk.drivers._builtin_printing",
    "possdk.drivers._builtin_serial",
    "possdk.drivers._builtin_sim",
)
"""Modules registered as plugins before any third-party one, as pytest does with its own."""


def get_plugin_manager(
    *, load_entry_points: bool = True, plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a new plugin manager with every hookspec and the built-in plugins.

    Args:
        load_entry_points: also load third-party plugins from the ``possdk``
            entry-point group (installed packages).
        plugins: extra plugin objects (modules, classes, instances) to register.

    Raises:
        PluginError: a plugin failed to import, or implements a hook that
            does not exist (usually a typo in its name).
    """
    pm = pluggy.PluginManager(PROJECT)
    for name in HOOKSPEC_MODULES:
        pm.add_hookspecs(importlib.import_module(name))
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entry_points:
        try:
            count = pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # an entry point's import failed
            raise PluginError(
                f"a plugin in the {ENTRY_POINT_GROUP!r} entry-point group failed to load: {exc}; "
                f"fix or uninstall it"
            ) from exc
        log.debug("loaded %d possdk plugin(s) from entry points", count)
    for plugin in plugins:
        try:
            pm.register(plugin)
        except ValueError as exc:  # registered twice
            raise PluginError(f"cannot register plugin {plugin!r}: {exc}") from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin {exc.plugin!r} implements a hook possdk does not have: {exc}; "
            f"check the hook's name against possdk's hookspecs"
        ) from exc
    return pm
