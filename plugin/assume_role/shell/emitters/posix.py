from __future__ import annotations

from assume_role.shell.emitters.base import Emitter


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
