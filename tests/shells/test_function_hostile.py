"""The shell functions with hostile aliases, options anywhere and every subcommand.

Each example runs the real helper twice: through the function of a real bash,
zsh or fish, and plainly. What the plain run prints is either shell code (an
assume, ``clear``) or text for people (everything else). Through the
function, text for people must come out exactly as the plain run printed it,
and code must be applied, never shown; nothing else may ever run (a canary
file is never created), and only code changes the shell's variables.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from helpers import load_lines, run_strict
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

CANARY = "CANARY"
FRAGMENTS = [
    f"$(touch {CANARY})",
    f"`touch {CANARY}`",
    f"(touch {CANARY})",
    f"; touch {CANARY};",
    f"\ntouch {CANARY}\n",
    f"& touch {CANARY} &",
    f"| touch {CANARY}",
    "'",
    '"',
    "\\",
    "%",
    "!",
    "!!",
    "#",
    "*",
    "{a,b}",
    "$HOME",
    "\x1b[31m",
    "\x07",
    "\r",
    "\t",
    " ",
    "production",
    "status",
    "-v",
]
ALIAS = "<alias>"  # stands for the generated alias in a command line
COMMANDS = [
    ["status"],
    ["status", "read"],
    ["help"],
    ["logout"],
    ["init", "bash"],
    ["init", "fish", "--path"],
    ["init", "nosuchshell"],
    ["demo", "--help"],
    ["__complete", "--", "pro"],
    ["clear"],
    ["-V"],
    ["--help"],
    [ALIAS, "read"],
    [ALIAS],
    ["production", ALIAS, "123456"],
]
OPTIONS = ["-v", "--verbose", "--refresh", "--unset", "--", "-V", "--help"]

aliases = st.lists(
    st.sampled_from(FRAGMENTS) | st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=3),
    min_size=1,
    max_size=5,
).map("".join)
options = st.lists(st.sampled_from(OPTIONS), max_size=3)

# A line of emitted code, in either syntax: what a plain run prints for an
# assume or clear.
CODE_LINE = re.compile(r"(export \w+=.*|unset \w+|set -gx \w+ .*|set -e -g \w+; or true);")


def _is_code(stdout: str) -> bool:
    return all(CODE_LINE.fullmatch(line) for line in stdout.splitlines())


def _script(shell: str, count: int) -> str:
    if shell == "fish":
        words = " ".join(f"$A{i}" for i in range(count))
        return (
            f"assume-role {words}; set rc $status\n"
            "printf '\\n--rc=%s--\\n' $rc\n"
            'if set -q AWS_ACCOUNT_NAME; and test "x$AWS_ACCOUNT_NAME" = "x$SAVED"; echo same; else; echo changed; end\n'
        )
    words = " ".join(f'"$A{i}"' for i in range(count))
    return (
        f"rc=0; assume-role {words} || rc=$?\n"
        "printf '\\n--rc=%s--\\n' \"$rc\"\n"
        'if [ "${AWS_ACCOUNT_NAME-unset}" = "$SAVED" ]; then echo same; else echo changed; fi\n'
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(alias=aliases, before=options, command=st.sampled_from(COMMANDS), after=options)
@example(alias="x", before=["-v"], command=["status"], after=[])
@example(alias="x", before=["--refresh"], command=["status"], after=[])
@example(alias="x", before=["--"], command=["status"], after=[])
@example(alias="x", before=["-v"], command=["help"], after=[])
@example(alias="x", before=["-v"], command=["logout"], after=[])
@example(alias="x", before=["-v"], command=["demo", "--help"], after=[])
def test_only_code_is_applied(shell, offline_env, alias, before, command, after):
    argv = before + [alias if word == ALIAS else word for word in command] + after
    env = {
        **offline_env,
        # What status shows: a role assumed with a hostile alias.
        "AWS_ACCOUNT_NAME": alias,
        "AWS_ACCOUNT_ROLE": "read",
        "ASSUME_ROLE_EXPIRES_AT": str(int(time.time()) + 3600),
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE",
        # status and logout name the bastion profile.
        "AWS_PROFILE_ASSUME_ROLE": alias,
        "SAVED": alias,
        **{f"A{i}": word for i, word in enumerate(argv)},
    }
    with tempfile.TemporaryDirectory() as work:
        plain = subprocess.run(
            [env["ASSUME_ROLE_COMMAND"], *argv],
            env=env, cwd=work, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        )
        script = f"cd '{work}'\n" + load_lines(shell) + _script(shell, len(argv))
        result = run_strict(shell, script, env=env)
        assert not (Path(work) / CANARY).exists(), (argv, result.stdout, result.stderr)
        assert list(Path(work).iterdir()) == []

    shown, _, tail = result.stdout.rpartition("\n--rc=")
    rc, _, same = tail.partition("--\n")
    assert int(rc) == plain.returncode, (argv, result.stderr, plain.stderr)
    if _is_code(plain.stdout):
        # Applied, not shown: and only clear (or --unset) changes the name.
        assert shown == "", argv
        unsets = "unset AWS_ACCOUNT_NAME;" in plain.stdout or "set -e -g AWS_ACCOUNT_NAME;" in plain.stdout
        assert same == ("changed\n" if unsets and plain.returncode == 0 else "same\n"), argv
    else:
        # Text for people: shown exactly as the plain run printed it.
        assert shown == plain.stdout, argv
        assert same == "same\n", argv
