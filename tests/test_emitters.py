"""Any value survives an emitter's quoting in its real shell, and runs nothing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assume_role.shell import emitters

SHELL_COMMANDS = {
    "bash": ["bash", "--norc", "--noprofile", "-eu"],
    "zsh": ["zsh", "-f", "-eu"],
    "fish": ["fish", "--no-config"],
    "sh": ["sh", "-eu"],
}

HOSTILE = [
    "plain",
    "it's",
    "''''",
    '"double" \\"esc\\"',
    "$(touch CANARY)",
    "`touch CANARY`",
    "${HOME}$HOME",
    "%n%s%%",
    "a\nb\n\n",
    "trailing\\",
    "\\'",
    "tab\there",
    "ünïcödé ✓ 𝓤",
    "; touch CANARY; #",
    "*",
    "-e",
    "",
]


def require(shell: str) -> list[str]:
    command = SHELL_COMMANDS[shell]
    if shutil.which(command[0]) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{command[0]} is not installed")
        pytest.skip(f"{command[0]} is not installed")
    return command


def roundtrip(shell: str, values: list[str], tmp_path) -> list[str]:
    command = require(shell)
    emitter = emitters.for_shell(shell)
    names = [f"V{i}" for i in range(len(values))]
    script = emitter.script(exports=dict(zip(names, values)))
    # Each value NUL-terminated, so values with newlines compare exactly.
    dump = "".join(f"printf '%s\\0' \"${name}\"\n" for name in names)
    result = subprocess.run(
        command,
        input=(script + dump + "\n").encode(),
        capture_output=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"},
        timeout=30,
    )
    assert result.stderr == b"", result.stderr.decode(errors="replace")
    assert result.returncode == 0
    assert not (tmp_path / "CANARY").exists(), "a value was executed"
    return result.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("shell", list(SHELL_COMMANDS))
def test_hostile_values_round_trip(shell, tmp_path):
    assert roundtrip(shell, HOSTILE, tmp_path) == HOSTILE


values = st.lists(st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))), min_size=1, max_size=8)


@pytest.mark.parametrize("shell", list(SHELL_COMMANDS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=values)
def test_any_text_round_trips(shell, values, tmp_path):
    assert roundtrip(shell, values, tmp_path) == values


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_unset_removes_variables(shell, tmp_path):
    command = require(shell)
    emitter = emitters.for_shell(shell)
    script = emitter.script(exports={"KEEP": "1", "GONE": "x"}) + emitter.script(unsets=["GONE"])
    check = 'set -q GONE; or echo unset' if shell == "fish" else '[ -z "${GONE+x}" ] && echo unset'
    result = subprocess.run(command, input=script + check + "\n", capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "unset"


def test_nul_and_bad_names_are_refused():
    emitter = emitters.for_shell("bash")
    with pytest.raises(ValueError):
        emitter.export("X", "a\0b")
    with pytest.raises(ValueError):
        emitter.export("X;rm", "a")
