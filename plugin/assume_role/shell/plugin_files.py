"""Where the shell plugin files are, and the stable path that leads to them.

The plugin files exist once, in the top-level ``zsh/``, ``bash/`` and ``fish/``
directories of the project. An install puts them in one place, the wheel's
data files: ``<prefix>/share/assume-role/<shell>``, where the prefix is the
install's (for pipx its venv for this tool, whose path stays the same when
pipx rebuilds it for a new Python; ``~/.local`` for ``pip install --user``).
An editable install or a plain checkout uses the checkout's own directories.

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

# The assume_role package directory (this file is in its shell/ package).
_PACKAGE = Path(__file__).resolve().parents[1]


class NotFound(LookupError):
    """The plugin files for a shell are neither installed nor in a checkout."""


def candidates(shell: str) -> list[Path]:
    """Directories that may hold the files for ``shell``, best first."""
    _check(shell)
    found = [_PACKAGE.parent.parent / shell]  # checkout: plugin/assume_role/../../<shell>
    for prefix in data_prefixes(_PACKAGE):
        found.append(prefix / "share" / paths.APP / shell)  # wheel data files
    return found


def data_prefixes(package: Path) -> list[Path]:
    """Where the install holding ``package`` put the wheel's data files.

    Each install scheme puts packages at a fixed path below its data prefix
    (``lib/python3.X/site-packages`` in a venv or under ``~/.local``,
    ``lib/python3/dist-packages`` in Debian's ``/usr/local``): the prefix is
    what is left of the package's directory without that path. Then the
    package's own directory (``pip install --target`` puts ``share/`` beside
    the packages), and this environment's prefix.
    """
    # sysconfig is imported only here: `init` runs when the stable link is
    # missing, not at every shell start.
    import sysconfig

    site = package.parent
    found = []
    for scheme in sysconfig.get_scheme_names():
        try:
            scheme_paths = sysconfig.get_paths(scheme)
        except KeyError:  # a scheme this platform cannot expand
            continue
        data = Path(scheme_paths["data"])
        for key in ("purelib", "platlib"):
            below = Path(scheme_paths[key])
            if not below.is_relative_to(data):
                continue
            tail = below.relative_to(data).parts
            if tail and site.parts[-len(tail) :] == tail:
                found.append(Path(*site.parts[: -len(tail)]))
    found += [site, Path(sys.prefix)]
    return list(dict.fromkeys(found))


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
    return Path(paths.data_dir(), shell)


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
