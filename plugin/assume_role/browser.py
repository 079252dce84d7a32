"""Whether a browser can be opened for the person at this machine, and opening one.

Only with a display: on a server over SSH, ``webbrowser`` would start a text
browser in the terminal the command is running in.
"""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_page(url: str) -> bool:
    """Open ``url`` in the person's browser; False when there is none to open."""
    if not has_display():
        return False
    import webbrowser

    try:
        return bool(webbrowser.open(url))
    except (webbrowser.Error, OSError):
        return False
