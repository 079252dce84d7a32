from __future__ import annotations

from assume_role.shell.emitters.base import Emitter


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
