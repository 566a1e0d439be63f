"""Drawing the avatar (pygame) and showing it (window, headless)."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
