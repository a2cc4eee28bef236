"""The built-in printing device drivers, contributed through ``possdk_devices`` like a plugin's."""

from __future__ import annotations
