"""Where the shell plugin files are, and the stable path that leads to them.

The plugin files exist once, in the top-level ``zsh/``, ``bash/`` and ``fish/``
directories of the project. An install puts them in three places: the wheel's
data files (``<prefix>/share/assume-role/<shell>``: for pipx the prefix is its
venv for this tool, whose path stays the same when pipx rebuilds it for a new
Python), inside the package (``assume_role/shells/<shell>``, for installers
that drop data files) and, in an editable install or a plain checkout, the
checkout itself. Either way one file on disk is loaded, never a second copy.

Plugin managers and rc files are given ``$XDG_DATA_HOME/assume-role/<shell>``
instead: a link that ``init`` writes to the best of those places and mends
whenever it runs, so a path written into a configuration file keeps working
across upgrades and reinstalls.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assume_role.state import paths

SHELLS = ("bash", "zsh", "fish")

# The file each shell sources, relative to that shell's directory. fish is
# loaded as a directory (functions/, completions/, conf.d/, as fisher expects)
# by init.fish, which sets up the paths first.
ENTRY = {
    "bash": "assume-role.bash",
    "zsh": "assume-role.plugin.zsh",
    "fish": "init.fish",
}

_PACKAGE = Path(__file__).resolve().parent


class NotFound(LookupError):
    """The plugin files for a shell are neither installed nor in a checkout."""


def candidates(shell: str) -> list[Path]:
    """Directories that may hold the files for ``shell``, best first."""
    _check(shell)
    found = [_PACKAGE.parent.parent / shell]  # checkout: plugin/assume_role/../../<shell>
    for prefix in _data_prefixes():
        found.append(prefix / "share" / paths.APP / shell)  # wheel data files
    found.append(_PACKAGE / "shells" / shell)  # inside the installed package
    return found


def _data_prefixes() -> list[Path]:
    # Where pip put the wheel's data files: this environment's prefix, or the
    # user base for `pip install --user`. sysconfig is imported only here:
    # `init` runs when the stable link is missing, not at every shell start.
    import sysconfig

    prefixes = [Path(sys.prefix)]
    user = sysconfig.get_config_var("userbase")
    if user and _PACKAGE.is_relative_to(Path(user).resolve()):
        prefixes.insert(0, Path(user))
    return prefixes


def locate(shell: str) -> Path:
    """The directory holding ``shell``'s plugin files."""
    for directory in candidates(shell):
        if (directory / ENTRY[shell]).is_file():
            return directory
    searched = ", ".join(str(d) for d in candidates(shell))
    raise NotFound(f"the {shell} plugin files are missing (looked in {searched}); reinstall assume-role")


def entry(shell: str) -> Path:
    """The file a ``shell`` sources to load the plugin."""
    return locate(shell) / ENTRY[shell]


def stable(shell: str) -> Path:
    """``$XDG_DATA_HOME/assume-role/<shell>``: the path given to rc files and plugin managers."""
    _check(shell)
    return paths.data_dir() / shell


def link(shell: str) -> Path:
    """Points the stable path at this install's files and returns it.

    Idempotent, and atomic for a shell starting at the same moment: a new link
    is renamed over the old one. A real directory there (``pip install --user``
    puts the data files exactly there) is left alone when it holds the files.
    Raises OSError when the link cannot be written.
    """
    target = locate(shell)
    path = stable(shell)
    if path.is_dir() and not path.is_symlink():
        if (path / ENTRY[shell]).is_file():
            return path
        raise IsADirectoryError(f"{path} is a directory without the {shell} plugin files")
    if path.is_symlink() and os.readlink(path) == str(target):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{shell}.{os.getpid()}.tmp")
    try:
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target, target_is_directory=True)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _check(shell: str) -> None:
    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}; expected one of {', '.join(SHELLS)}")
