"""Text from outside (files, the environment) made safe to show on a terminal."""

from __future__ import annotations


def printable(text: str, replacement: str = "?") -> str:
    """``text`` with every control or other non-printable character shown as ``?``.

    Aliases, role names and paths may hold terminal escape sequences (which can
    retitle the window, clear the screen or fake output) or bidirectional
    overrides; the shell prompt segment shows them the same way. Prose from
    AWS replaces them with a space instead, so its line breaks read as spaces.
    """
    return text if text.isprintable() else "".join(c if c.isprintable() else replacement for c in text)
