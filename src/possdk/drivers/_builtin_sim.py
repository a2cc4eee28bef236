"""The built-in simulator driver ("sim"), contributed through ``possdk_devices``."""

from __future__ import annotations
