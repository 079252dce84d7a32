"""The `assume-role` shell function: what it runs, what it applies, what it leaves alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import STRICT, load_lines, require, run_strict, write_helper

# Stands in for the helper: logs its arguments; for --shell it prints code
# for that shell, or (FAKE_PEOPLE) text for people on the --output-fd
# descriptor and nothing on stdout; and exits as told.
FAKE = r"""#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_LOG"
[ -n "${FAKE_STDERR-}" ] && echo "$FAKE_STDERR" >&2
if [ -n "${FAKE_READ-}" ]; then read -r value; else value=assumed; fi
if [ -n "${FAKE_PEOPLE-}" ]; then
  [ "$3" = --output-fd ] && echo 'echo not-evaluated $(touch CANARY)' >&"$4"
  exit "${FAKE_EXIT:-0}"
fi
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
    assert _log(fake) == [f"--shell {shell} --output-fd 3 production read"]


def test_failure_changes_nothing(shell, fake):
    env = {**fake, "FAKE_EXIT": "5", "FAKE_STDERR": "assume-role: denied"}
    result = run_strict(shell, load_lines(shell) + call(shell, "production read") + SHOW[shell], env=env)
    # The helper's exit status comes back, its message reaches stderr untouched,
    # and the code it printed (which a correct helper never does on failure)
    # is not applied.
    assert result.stdout == "rc=5 var=unset\n"
    assert result.stderr == "assume-role: denied\n"


def test_every_word_goes_to_the_helper_which_decides(shell, fake):
    # The function passes its arguments on unchanged, whatever the first
    # word, and lets the helper decide what is code.
    script = load_lines(shell) + call(shell, "-v status x") + call(shell, "-- status read") + SHOW[shell]
    result = run_strict(shell, script, env=fake)
    assert (result.stdout, result.stderr) == ("rc=0 var=assumed\n", "")
    assert _log(fake) == [f"--shell {shell} --output-fd 3 -v status x", f"--shell {shell} --output-fd 3 -- status read"]


@pytest.mark.parametrize("exit_code", [0, 7])
def test_text_for_people_is_shown_not_evaluated(shell, fake, tmp_path, exit_code):
    env = {**fake, "FAKE_PEOPLE": "1", "FAKE_EXIT": str(exit_code)}
    script = load_lines(shell) + "cd " + str(tmp_path) + "\n" + call(shell, "status") + SHOW[shell]
    result = run_strict(shell, script, env=env)
    assert result.stdout == f"echo not-evaluated $(touch CANARY)\nrc={exit_code} var=unset\n"
    assert not (tmp_path / "CANARY").exists()


def test_text_for_people_goes_through_a_pipe_and_a_redirection(shell, fake, tmp_path):
    # `assume-role status | grep x` and `assume-role init zsh >> file`.
    env = {**fake, "FAKE_PEOPLE": "1"}
    out = tmp_path / "out.txt"
    script = load_lines(shell) + f"assume-role status | tr a-z A-Z\nassume-role init zsh >> '{out}'\n"
    result = run_strict(shell, script, env=env)
    assert result.stdout == "ECHO NOT-EVALUATED $(TOUCH CANARY)\n"
    assert out.read_text() == "echo not-evaluated $(touch CANARY)\n"


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


# -- the real helper against the emulator ---------------------------------------


def _with_helper(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**aws_env, "ASSUME_ROLE_COMMAND": str(write_helper(tmp_path / "bin"))}


def test_alias_named_like_a_subcommand_after_double_dash(shell, aws_env, world, mfa_code, tmp_path):
    accounts = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    accounts.write_text(json.dumps({**world.accounts, "status": world.production_account_id}))
    env = _with_helper(aws_env, tmp_path)
    show = "echo $AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE $AWS_ACCOUNT_ID\n"
    result = run_strict(shell, load_lines(shell) + f"assume-role -v -- status read {mfa_code()}\n" + show, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"status:read {world.production_account_id}\n"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_original_tools_unquoted_eval(shell, aws_env, world, mfa_code):
    # coinbase/assume-role's README: eval $(assume-role account role mfa).
    require(shell)
    call = f"eval $('{sys.executable}' -m assume_role production read {mfa_code()})"
    show = 'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE $AWS_ACCOUNT_ID ${#AWS_SESSION_TOKEN}"\n'
    result = run_strict(shell, f"{call}\n{show}", env={**aws_env, "SHELL": f"/bin/{shell}"})
    assert result.stderr == ""
    name_role, account_id, token_length = result.stdout.split()
    assert (name_role, account_id) == ("production:read", world.production_account_id)
    assert int(token_length) > 100


def test_fish_source_then_and(aws_env, mfa_code):
    # `assume-role --shell fish ... | source; and aws ...`: the sourced code
    # ends with status 0, for an assume and for clear (which erases variables
    # that may not be set).
    helper = f"'{sys.executable}' -m assume_role --shell fish"
    script = (
        f"{helper} production read {mfa_code()} | source; and echo assumed $AWS_ACCOUNT_NAME\n"
        f"{helper} clear | source; and echo cleared\n"
        f"{helper} clear | source; and echo cleared again\n"
    )
    result = run_strict("fish", script, env=aws_env)
    assert (result.stdout, result.stderr) == ("assumed production\ncleared\ncleared again\n", "")


def test_code_is_applied_byte_for_byte(shell, tmp_path):
    # Whatever the values hold, the function applies exactly the code the
    # helper printed (fish reads it from a pipe: no byte may be lost there).
    from assume_role.shell import emitters

    values = ["a\\b\\\\c", "it's \"q\"", "line\nbreak\n\n", "  lead and trail  ", "\t$HOME`x`$(y)", "ünï ✓", ""]
    names = [f"V{i}" for i in range(len(values))]
    code = tmp_path / "code"
    code.write_text(emitters.for_shell(shell).script(exports=dict(zip(names, values))))
    helper = tmp_path / "helper"
    helper.write_text(f"#!/bin/sh\ncat '{code}'\n")
    helper.chmod(0o755)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "ASSUME_ROLE_COMMAND": str(helper), "LC_ALL": "C.UTF-8"}
    dump = "".join(f"printf '%s\\0' \"${name}\"\n" for name in names)
    result = subprocess.run(
        [*STRICT[shell], load_lines(shell) + "assume-role production read\n" + dump],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
    )
    assert result.stderr == b""
    assert result.stdout.decode().split("\0")[:-1] == values
