"""What the helper says on a real terminal: never credentials, and what became of a code."""

from __future__ import annotations

import re

import pytest

from support import run_cli
from test_interactive import SHELLS, terminal  # noqa: F401 (fixture)

INIT = {
    "bash": 'eval "$(assume-role init bash)"',
    "zsh": 'eval "$(assume-role init zsh)"',
    "fish": "assume-role init fish | source",
}


@pytest.mark.parametrize("shell", SHELLS)
def test_no_credentials_on_a_terminal_without_the_function(shell, terminal, emulator, world, mfa_code):
    term = terminal(shell)
    child = term.child
    code = mfa_code()
    # `command` skips the shell function: the program itself, its stdout the
    # terminal, as right after `pipx install` before the rc file is read.
    term.run(f"command assume-role production read {code}")
    term.expect_prompt()
    screen = child.before
    assert "AWS_SECRET_ACCESS_KEY" not in screen and "export" not in screen
    lines = [line for line in screen.splitlines() if line.startswith("assume-role:")]
    assert lines == [f"assume-role: credentials are not printed on a terminal; load the shell function first: {INIT[shell]}"]
    assert term.status() == 2
    # Refused before any AWS call: the code was not spent and still works.
    assert sum(emulator.control.calls().values()) == 0
    term.run(f"assume-role production read {code}")
    term.expect_prompt()
    assert term.status() == 0
    assert term.identity().endswith(f":assumed-role/read/{world.user_name}")


def test_no_question_is_asked_before_the_refusal(terminal, emulator):
    term = terminal("bash")
    term.run("command assume-role")
    term.expect_prompt()
    assert "Account" not in term.child.before
    assert "load the shell function first" in term.child.before
    assert term.status() == 2


def test_the_function_and_explicit_shell_still_print(terminal, aws_env, mfa_code):
    term = terminal("bash")
    term.run(f"command assume-role --shell bash production read {mfa_code()}")
    term.child.expect(r"export AWS_SECRET_ACCESS_KEY=")
    term.expect_prompt()
    assert term.status() == 0


def test_clear_on_a_terminal_still_prints_its_unsets(terminal):
    # No secret in it; printing it is harmless and shows what clear does.
    term = terminal("zsh")
    term.run("command assume-role clear")
    term.child.expect("unset AWS_ACCESS_KEY_ID")
    term.expect_prompt()
    assert term.status() == 0


# -- a code that was not needed ------------------------------------------------------

NOT_USED = re.compile(r"^assume-role: used the stored (MFA session|role credentials); the MFA code given was not used$")


def test_code_given_while_an_mfa_session_exists_is_reported(aws_env, emulator, mfa_code):
    first = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert first.returncode == 0 and first.stderr == "", first.stderr
    switch = run_cli(aws_env, "--shell", "bash", "production", "admin", "000000")
    assert switch.returncode == 0, switch.stderr
    assert switch.stderr.splitlines() == ["assume-role: used the stored MFA session; the MFA code given was not used"]
    assert "000000" not in switch.stderr
    again = run_cli(aws_env, "--shell", "bash", "production", "admin", "000000")
    assert again.stderr.splitlines() == ["assume-role: used the stored role credentials; the MFA code given was not used"]
    assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1


def test_code_that_was_used_is_not_reported(aws_env, mfa_code):
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0 and not NOT_USED.search(run.stderr)


@pytest.mark.parametrize("shell", SHELLS)
def test_code_not_used_is_said_in_the_shell(shell, terminal, aws_env, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    term = terminal(shell)
    term.run("assume-role production admin 000000")
    term.child.expect_exact("used the stored MFA session; the MFA code given was not used")
    term.expect_prompt()
    assert term.status() == 0


def test_a_shell_without_plugin_is_told_the_eval_form(aws_env, emulator):
    import sys

    import pexpect

    child = pexpect.spawn(
        "sh", ["-c", f"{sys.executable} -m assume_role production read 123456; echo rc=$?"],
        env=aws_env, encoding="utf-8", timeout=30,
    )
    child.expect(pexpect.EOF)
    lines = [line.strip() for line in child.before.splitlines() if line.strip()]
    assert lines == [
        'assume-role: credentials are not printed on a terminal; this shell has no plugin: '
        'run eval "$(assume-role --shell sh ACCOUNT ROLE)"',
        "rc=2",
    ]
    assert sum(emulator.control.calls().values()) == 0
