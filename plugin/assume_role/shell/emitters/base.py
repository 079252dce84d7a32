from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

# Variable names are emitted unquoted, so they are held to the portable form.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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

    def script(self, exports: Mapping[str, str] = {}, unsets: Iterable[str] = ()) -> str:
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
    if not NAME.fullmatch(name):
        raise ValueError(f"not a shell variable name: {name!r}")
