"""Which shell syntax to print when ``--shell`` is not given."""

from __future__ import annotations

import os

from assume_role.shell.emitters import EMITTERS

# Shells whose syntax for export/unset is POSIX.
_POSIX_LIKE = {"sh", "dash", "ksh", "mksh", "ash", "busybox"}


def _normalise(name: str) -> str | None:
    name = os.path.basename(name).lstrip("-").lower()
    if name in EMITTERS:
        return name
    if name in _POSIX_LIKE:
        return "sh"
    return None


def calling_shell() -> str:
    """The parent shell via shellingham, then ``$SHELL``, then POSIX sh."""
    try:
        import shellingham

        found = _normalise(shellingham.detect_shell()[0])
        if found:
            return found
    except Exception:  # shellingham raises its own error type, or fails on odd platforms
        pass
    return _normalise(os.environ.get("SHELL", "")) or "sh"
