"""Shell emitters: the only code that turns values into shell syntax.

Each supported shell has one emitter behind the ``Emitter`` interface; callers
hand it plain names and values and get back a script that sets exactly those
values when evaluated, whatever bytes the values contain. ``calling_shell``
says which syntax to print when ``--shell`` is not given.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_NAME_CHARACTERS = frozenset(_LETTERS + "0123456789")


# shlex.quote's rule, without shlex (which imports re): a word of only these needs no quotes.
_PLAIN_WORD = frozenset(_LETTERS + "0123456789@%+=:,./-")


def shell_word(value: str) -> str:
    """``value`` as one word of a POSIX shell command line, written as ``shlex.quote`` writes it."""
    if value and _PLAIN_WORD.issuperset(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def is_name(name: str) -> bool:
    """Whether ``name`` has the portable form ``[A-Za-z_][A-Za-z0-9_]*``.

    Variable names are emitted unquoted, so they are held to it.
    """
    return name[:1] != "" and name[0] in _LETTERS and _NAME_CHARACTERS.issuperset(name)


class Emitter(ABC):
    """Turns exports and unsets into a script for one shell."""

    def __init__(self, shell: str):
        self.shell = shell

    @abstractmethod
    def quote(self, value: str) -> str:
        """Quote ``value`` so the shell reads back exactly these characters."""

    @abstractmethod
    def _export(self, name: str, quoted: str) -> str: ...

    @abstractmethod
    def _unset(self, name: str) -> str: ...

    def export(self, name: str, value: str) -> str:
        _check_name(name)
        if "\0" in value:
            # No environment can hold a NUL; refuse rather than truncate.
            raise ValueError(f"value of {name} contains a NUL byte")
        return self._export(name, self.quote(value))

    def unset(self, name: str) -> str:
        _check_name(name)
        return self._unset(name)

    def script(self, exports: dict[str, str] = {}, unsets: tuple[str, ...] | list[str] = ()) -> str:
        """One statement a line, each ended with ``;``.

        The ``;`` keeps the original tool's unquoted ``eval $(assume-role ...)``
        working: word splitting joins the lines with spaces, and the
        statements must still end where they did. Every statement succeeds
        when it did its job, so the script's status is 0 on success in every
        shell (``... | source; and aws ...`` in fish).
        """
        lines = [self.unset(n) for n in unsets] + [self.export(n, v) for n, v in exports.items()]
        return "".join(line + ";\n" for line in lines)


def _check_name(name: str) -> None:
    if not is_name(name):
        raise ValueError(f"not a shell variable name: {name!r}")


class PosixEmitter(Emitter):
    """bash, zsh and POSIX sh share single-quote semantics.

    Inside single quotes every byte is literal (newlines, ``$``, backticks,
    ``%``, non-ASCII), and a single quote itself cannot appear, so each one is
    written as close-quote, escaped quote, reopen-quote.
    """

    def quote(self, value: str) -> str:
        return "'" + value.replace("'", "'\\''") + "'"

    def _export(self, name: str, quoted: str) -> str:
        return f"export {name}={quoted}"

    def _unset(self, name: str) -> str:
        return f"unset {name}"


class FishEmitter(Emitter):
    """fish single quotes are literal except for ``\\\\`` and ``\\'``."""

    def quote(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def _export(self, name: str, quoted: str) -> str:
        # -g: the plugin function sources this inside its own scope, and a
        # function-local variable would vanish when it returns.
        return f"set -gx {name} {quoted}"

    def _unset(self, name: str) -> str:
        # `set -e` of a variable that is not set returns 4; nothing is wrong
        # then, and the script's status must say so.
        return f"set -e -g {name}; or true"


EMITTERS: dict[str, type[Emitter]] = {
    "bash": PosixEmitter,
    "zsh": PosixEmitter,
    "sh": PosixEmitter,
    "fish": FishEmitter,
}

SHELLS = ("bash", "zsh", "fish")


def for_shell(name: str) -> Emitter:
    return EMITTERS[name](name)


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
