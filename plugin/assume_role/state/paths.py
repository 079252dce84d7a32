"""Where the tool keeps its files (XDG base directories, overridable)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "assume-role"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def accounts_file() -> Path:
    # ACCOUNTS_FILE is the original tool's name for it.
    explicit = os.environ.get("ASSUME_ROLE_ACCOUNTS_FILE") or os.environ.get("ACCOUNTS_FILE")
    if explicit:
        return Path(explicit).expanduser()
    return Path.home() / ".aws" / "accounts"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def state_dir() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def data_dir() -> Path:
    """Where `init` keeps the stable links to the shell plugin files."""
    return _xdg("XDG_DATA_HOME", ".local/share") / APP
