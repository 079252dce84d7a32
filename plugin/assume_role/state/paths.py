"""Where the tool keeps its files (XDG base directories, overridable).

Paths are strings: pathlib (with urllib.parse and fnmatch behind it) would
cost a cache hit more than the rest of its imports.
"""

from __future__ import annotations

import os

from assume_role.errors import UsageError

APP = "assume-role"


def _home(*parts: str) -> str:
    home = os.path.expanduser("~")
    if home == "~":  # no HOME, and no passwd entry for this user (a container's arbitrary uid)
        raise UsageError("cannot find your home directory: set HOME (or ASSUME_ROLE_ACCOUNTS_FILE and the XDG_* "
                         "directories)")
    return os.path.join(home, *parts)


def _xdg(var: str, fallback: str) -> str:
    value = os.environ.get(var)
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return os.path.join(value, APP)
    return _home(fallback, APP)


def accounts_file() -> str:
    # ACCOUNTS_FILE is the original tool's name for it.
    explicit = os.environ.get("ASSUME_ROLE_ACCOUNTS_FILE") or os.environ.get("ACCOUNTS_FILE")
    if explicit:
        return os.path.expanduser(explicit)
    return _home(".aws", "accounts")


def cache_dir() -> str:
    return _xdg("XDG_CACHE_HOME", ".cache")


def state_dir() -> str:
    return _xdg("XDG_STATE_HOME", ".local/state")


def data_dir() -> str:
    """Where `init` keeps the stable links to the shell plugin files."""
    return _xdg("XDG_DATA_HOME", ".local/share")
