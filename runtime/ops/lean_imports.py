"""Imports at process start that keep heavy modules nobody uses out of the kiosk.

pygame's `pygame.pkgdata` imports setuptools' `pkg_resources` when it can, only to find its own
bundled font and icon; `pkg_resources` scans every installed distribution at import and stays
resident (+9.7 MB measured, docs/speaking.md#memory-by-stage). Imported here first with
`pkg_resources` hidden, pygame takes its documented fallback (the files beside its own module), and
`pkg_resources` is importable again afterwards for anything that really needs it (the Mandarin front
end's cn2an does).
"""

from __future__ import annotations

import sys


def import_pygame_without_pkg_resources() -> None:
    """Import pygame without importing `pkg_resources` on its behalf."""
    if "pygame" in sys.modules:
        return
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None      # `import pkg_resources` raises ImportError while hidden
    try:
        import pygame  # noqa: F401
    finally:
        if hidden and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
