"""Shell emitters: the only code that turns values into shell syntax.

Each supported shell has one emitter behind the ``Emitter`` interface; callers
hand it plain names and values and get back a script that sets exactly those
values when evaluated, whatever bytes the values contain.
"""

from __future__ import annotations

from assume_role.shell.emitters.base import Emitter
from assume_role.shell.emitters.fish import FishEmitter
from assume_role.shell.emitters.posix import PosixEmitter

EMITTERS: dict[str, type[Emitter]] = {
    "bash": PosixEmitter,
    "zsh": PosixEmitter,
    "sh": PosixEmitter,
    "fish": FishEmitter,
}

SHELLS = ("bash", "zsh", "fish")


def for_shell(name: str) -> Emitter:
    return EMITTERS[name](name)


__all__ = ["Emitter", "EMITTERS", "SHELLS", "for_shell"]
