"""Where the shell plugin files are, installed or in a checkout.

The plugin files exist once, in the top-level ``zsh/``, ``bash/`` and ``fish/``
directories of the project. The wheel copies them to
``assume_role/shells/<shell>`` (see ``force-include`` in pyproject.toml); an
editable install or a plain checkout has no such copy, so the files are read
from the checkout instead. Either way ``init`` points the shell at one file on
disk and never prints a second copy of it.
"""

from __future__ import annotations

from pathlib import Path

SHELLS = ("bash", "zsh", "fish")

# The file each shell sources, relative to that shell's directory. fish is
# loaded as a directory (functions/, completions/, conf.d/, as fisher expects);
# its conf.d file is the entry point.
ENTRY = {
    "bash": "assume-role.bash",
    "zsh": "assume-role.plugin.zsh",
    "fish": "conf.d/assume-role.fish",
}

_PACKAGE = Path(__file__).resolve().parent


class NotFound(LookupError):
    """The plugin files for a shell are neither installed nor in a checkout."""


def candidates(shell: str) -> list[Path]:
    """Directories that may hold the files for ``shell``, best first."""
    _check(shell)
    return [
        _PACKAGE / "shells" / shell,  # wheel install (pip, pipx)
        _PACKAGE.parent.parent / shell,  # checkout: plugin/assume_role/../../<shell>
    ]


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


def _check(shell: str) -> None:
    if shell not in SHELLS:
        raise ValueError(f"unsupported shell {shell!r}; expected one of {', '.join(SHELLS)}")
