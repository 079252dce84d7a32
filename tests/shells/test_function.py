"""The `assume-role` shell function: what it runs, what it applies, what it leaves alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import STRICT, load_lines, require, run_strict

# Stands in for the helper: logs its arguments, prints code for the shell named
# by --shell (or a plain line without it), and exits as told.
FAKE = r"""#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_LOG"
[ -n "${FAKE_STDERR-}" ] && echo "$FAKE_STDERR" >&2
if [ -n "${FAKE_READ-}" ]; then read -r value; else value=assumed; fi
case "$1 $2" in
  "--shell fish") echo "set -gx FAKE_VAR '$value'" ;;
  "--shell "*) echo "export FAKE_VAR='$value'" ;;
  *) echo "echo not-evaluated" ;;
esac
exit "${FAKE_EXIT:-0}"
"""

SHOW = {
    "bash": 'printf "rc=%s var=%s\\n" "$rc" "${FAKE_VAR-unset}"\n',
    "zsh": 'printf "rc=%s var=%s\\n" "$rc" "${FAKE_VAR-unset}"\n',
    "fish": 'set -q FAKE_VAR; or set FAKE_VAR unset; printf "rc=%s var=%s\\n" $rc $FAKE_VAR\n',
}


def call(shell: str, args: str) -> str:
    if shell == "fish":
        return f"assume-role {args}; set rc $status\n"
    return f"rc=0; assume-role {args} || rc=$?\n"


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "fake-assume-role"
    path.write_text(FAKE)
    path.chmod(0o755)
    return {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "ASSUME_ROLE_COMMAND": str(path),
        "FAKE_LOG": str(tmp_path / "calls.log"),
    }


def _log(env) -> list[str]:
    return Path(env["FAKE_LOG"]).read_text().splitlines()


def test_success_is_applied(shell, fake):
    result = run_strict(shell, load_lines(shell) + call(shell, "production read") + SHOW[shell], env=fake)
    assert (result.stdout, result.stderr) == ("rc=0 var=assumed\n", "")
    assert _log(fake) == [f"--shell {shell} production read"]


def test_failure_changes_nothing(shell, fake):
    env = {**fake, "FAKE_EXIT": "5", "FAKE_STDERR": "assume-role: denied"}
    result = run_strict(shell, load_lines(shell) + call(shell, "production read") + SHOW[shell], env=env)
    # The helper's exit status comes back, its message reaches stderr untouched,
    # and the code it printed (which a correct helper never does on failure)
    # is not applied.
    assert result.stdout == "rc=5 var=unset\n"
    assert result.stderr == "assume-role: denied\n"


@pytest.mark.parametrize(
    "word", ["init", "status", "logout", "demo", "exec", "credential-process", "console", "help", "__complete", "--help", "-V"]
)
def test_pass_through_words_are_not_evaluated(shell, fake, word):
    result = run_strict(shell, load_lines(shell) + call(shell, f"{word} x") + SHOW[shell], env=fake)
    assert result.stdout == "echo not-evaluated\nrc=0 var=unset\n"
    assert _log(fake) == [f"{word} x"]


def test_stdin_and_stderr_stay_with_the_helper(shell, fake):
    # Only stdout is captured: the helper reads the shell's stdin (where an
    # MFA prompt would read) and writes to its stderr directly.
    require(shell)
    env = {**fake, "FAKE_READ": "1", "FAKE_STDERR": "question?"}
    script = load_lines(shell) + call(shell, "production read") + SHOW[shell]
    result = subprocess.run(
        [*STRICT[shell], script], env=env, input="typed-answer\n", capture_output=True, text=True, timeout=60
    )
    assert result.stdout == "rc=0 var=typed-answer\n"
    assert result.stderr == "question?\n"


def test_clear_unsets_every_variable(shell, offline_env):
    # The real helper: `clear` and `--unset` print code that unsets all it exports.
    from assume_role import variables

    names = [*variables.EXPORTED, *variables.UNSET_ON_ASSUME]
    if shell == "fish":
        setup = "".join(f"set -gx {n} x\n" for n in names)
        check = 'for n in ' + " ".join(names) + '; set -q $n; and echo "left $n"; end\necho checked\n'
    else:
        setup = "".join(f"export {n}=x\n" for n in names)
        check = "for n in " + " ".join(names) + '; do [ -z "${(P)n+x}" ] || echo "left $n"; done\necho checked\n'
        if shell == "bash":
            check = check.replace("${(P)n+x}", "${!n+x}")
    for word in ("clear", "--unset"):
        script = load_lines(shell) + setup + f"assume-role {word}\n" + check
        result = run_strict(shell, script, env=offline_env)
        assert (result.stdout, result.stderr) == ("checked\n", ""), word


def test_real_failure_leaves_the_environment(shell, offline_env):
    # An unknown alias fails before any network call: exit 2, one line.
    if shell == "fish":
        script = load_lines(shell) + "set -gx AWS_ACCOUNT_NAME before\n" + call(shell, "nosuch read 123456")
        script += 'printf "rc=%s name=%s\\n" $rc $AWS_ACCOUNT_NAME\n'
    else:
        script = load_lines(shell) + "export AWS_ACCOUNT_NAME=before\n" + call(shell, "nosuch read 123456")
        script += 'printf "rc=%s name=%s\\n" "$rc" "$AWS_ACCOUNT_NAME"\n'
    result = run_strict(shell, script, env=offline_env)
    assert result.stdout == "rc=2 name=before\n"
    assert result.stderr.startswith("assume-role: ") and result.stderr.count("\n") == 1
