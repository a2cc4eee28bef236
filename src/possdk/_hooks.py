"""The pluggy markers for the project name ``possdk``, defined once."""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "possdk"

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a function in a ``hookspecs.py`` module as a hook specification."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin function as an implementation of a possdk hook."""
