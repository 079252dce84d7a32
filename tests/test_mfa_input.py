"""The MFA code from a command: ASSUME_ROLE_MFA_PROCESS or the profile's mfa_process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assume_role import settings
from assume_role.signin import mfa_codes as mfa_input
from assume_role.signin import Asking
from assume_role.errors import MfaError, UsageError
from support import assert_clean_failure, run_cli

# Output a failing or chatty command prints, which must never be repeated.
SECRET_OUTPUT = "do-not-echo-7f3a"


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(body)
    return f"{sys.executable} {path}"


def _minting_command(directory: Path, world) -> str:
    """A stand-in for a YubiKey or password manager CLI: prints a fresh code."""
    return _script(
        directory,
        "mint_code.py",
        "from assume_role_lab.emulator.control import Control\n"
        f"print(Control({world.endpoint!r}).mfa_code({world.mfa_serial!r}))\n",
    )


# -- which command ----------------------------------------------------------------


def test_no_command_configured(monkeypatch):
    monkeypatch.delenv(mfa_input.ENVIRONMENT, raising=False)
    assert mfa_input.configured({}, "default") is None


def test_environment_wins_over_the_profile(monkeypatch):
    monkeypatch.setenv(mfa_input.ENVIRONMENT, "ykman oath accounts code --single 'aws bastion'")
    command = mfa_input.configured({"mfa_process": "op item get aws --otp"}, "default")
    assert command.argv == ("ykman", "oath", "accounts", "code", "--single", "aws bastion")
    assert command.origin == mfa_input.ENVIRONMENT


def test_profile_setting(monkeypatch):
    monkeypatch.delenv(mfa_input.ENVIRONMENT, raising=False)
    command = mfa_input.configured({"mfa_process": "/opt/bin/otp --account aws"}, "work")
    assert command.argv == ("/opt/bin/otp", "--account", "aws")
    assert command.name == "otp"
    assert "profile 'work'" in command.origin


@pytest.mark.parametrize("value", ["ykman 'unclosed", "   "])
def test_unusable_command_line_is_a_usage_error(monkeypatch, value):
    monkeypatch.delenv(mfa_input.ENVIRONMENT, raising=False)
    with pytest.raises(UsageError):
        mfa_input.configured({"mfa_process": value}, "default")


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_bad_timeout_is_a_usage_error(monkeypatch, value):
    monkeypatch.setenv(mfa_input.TIMEOUT_ENVIRONMENT, value)
    with pytest.raises(UsageError, match=mfa_input.TIMEOUT_ENVIRONMENT):
        settings.mfa_process_timeout()


# -- running it -------------------------------------------------------------------------


def _command(line: str) -> mfa_input.Command:
    return mfa_input.Command(tuple(line.split()), mfa_input.ENVIRONMENT)


def test_printed_code_is_returned(tmp_path):
    command = _command(_script(tmp_path, "ok.py", "print('  123456 ')\n"))
    assert mfa_input.run(command) == "123456"


def test_command_is_not_run_through_a_shell(tmp_path, monkeypatch):
    # Shell syntax is passed on as plain arguments, as with credential_process.
    body = "import sys\nprint('654321' if sys.argv[1:] == ['$HOME', '|', 'x'] else 'no')\n"
    script = _script(tmp_path, "args.py", body)
    monkeypatch.setenv(mfa_input.ENVIRONMENT, script + " '$HOME' '|' x")
    command = mfa_input.configured({}, "default")
    assert mfa_input.run(command) == "654321"


def test_failing_command_is_one_clear_line_without_its_output(tmp_path, capfd):
    body = f"import sys\nprint({SECRET_OUTPUT!r})\nsys.exit(3)\n"
    command = _command(_script(tmp_path, "fail.py", body))
    with pytest.raises(MfaError) as raised:
        mfa_input.run(command)
    message = str(raised.value)
    assert "exit status 3" in message and mfa_input.ENVIRONMENT in message
    assert SECRET_OUTPUT not in message
    assert SECRET_OUTPUT not in capfd.readouterr().out


@pytest.mark.parametrize("output", ["12345", "1234567", "code: 123456", "123456\n654321", SECRET_OUTPUT, ""])
def test_output_must_be_only_the_code(tmp_path, output):
    command = _command(_script(tmp_path, "chatty.py", f"print({output!r})\n"))
    with pytest.raises(MfaError, match="must print only the 6-digit code") as raised:
        mfa_input.run(command)
    assert output.strip() == "" or output not in str(raised.value)


def test_missing_program():
    with pytest.raises(MfaError, match="not found"):
        mfa_input.run(_command("/nonexistent/ykman oath"))


def test_slow_command_times_out(tmp_path):
    command = _command(_script(tmp_path, "slow.py", "import time\ntime.sleep(60)\n"))
    with pytest.raises(MfaError, match="did not finish"):
        mfa_input.run(command, seconds=0.5)


def test_killed_command(tmp_path):
    command = _command(_script(tmp_path, "killed.py", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n"))
    with pytest.raises(MfaError, match="killed by signal"):
        mfa_input.run(command)


def test_command_gets_no_stdin_without_a_terminal(tmp_path):
    # Run from a process whose stdin is a pipe with data: the command must
    # see an empty stdin, not the pipe.
    probe = tmp_path / "stdin.py"
    probe.write_text("import sys\nprint('111111' if sys.stdin.read() == '' else '999999')\n")
    driver = (
        "from assume_role.signin import mfa_codes as mfa_input\n"
        f"print(mfa_input.run(mfa_input.Command(({sys.executable!r}, {str(probe)!r}), 'test')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", driver], input="654321\n", capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "111111", result.stderr


def test_given_code_wins_and_no_command_runs(monkeypatch, tmp_path):
    marker = tmp_path / "ran"
    body = f"open({str(marker)!r}, 'w')\nprint('123456')\n"
    monkeypatch.setenv(mfa_input.ENVIRONMENT, _script(tmp_path, "mark.py", body))
    source = mfa_input.CodeSource("654321", {}, "default", lambda message: None, Asking())
    assert not source.asks_person()
    assert source.code("arn:aws:iam::123456789012:mfa/alice", 43200) == "654321"
    assert source.used
    assert not marker.exists()


def test_no_new_code_when_asking_is_off(monkeypatch, tmp_path):
    # The shells' auto-refresh: neither a question nor an MFA command, one line instead.
    marker = tmp_path / "ran"
    body = f"open({str(marker)!r}, 'w')\nprint('123456')\n"
    monkeypatch.setenv(mfa_input.ENVIRONMENT, _script(tmp_path, "mark.py", body))
    source = mfa_input.CodeSource(None, {}, "default", lambda message: None, Asking(terminal=False, advice="run it"))
    with pytest.raises(MfaError, match="^run it$"):
        source.code("arn:aws:iam::123456789012:mfa/alice", 43200)
    assert not marker.exists()


# -- through the CLI, against the emulator ----------------------------------------------------


def _identity_after_eval(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    script = (
        f'eval "$("{sys.executable}" -m assume_role --shell bash "$@")" || exit\n'
        f'"{sys.executable}" -c \'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])\'\n'
    )
    return subprocess.run(
        ["bash", "-c", script, "bash", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_code_from_environment_command(aws_env, world, tmp_path):
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=_minting_command(tmp_path, world))
    result = _identity_after_eval(env, "production", "read")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    assert result.stderr == ""


def test_code_from_profile_setting(aws_env, world, tmp_path):
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + f"mfa_process = {_minting_command(tmp_path, world)}\n")
    result = _identity_after_eval(aws_env, "staging", "admin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"arn:aws:sts::{world.staging_account_id}:assumed-role/admin/{world.user_name}"


def test_code_from_command_for_a_long_direct_session(aws_env, world, tmp_path):
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=_minting_command(tmp_path, world), AWS_ROLE_SESSION_TIMEOUT="7200")
    result = _identity_after_eval(env, "production", "admin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f":assumed-role/admin/{world.user_name}")


def test_failing_command_fails_the_run_cleanly(aws_env, tmp_path):
    body = f"import sys\nprint({SECRET_OUTPUT!r})\nprint({SECRET_OUTPUT!r}, file=sys.stderr)\nsys.exit(1)\n"
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=_script(tmp_path, "fail.py", body))
    run = run_cli(env, "production", "read")
    # The command's own stderr reaches the terminal (stderr); our message is
    # the last line and never repeats what the command printed.
    assert run.returncode == 4
    assert run.stdout == ""
    message = run.stderr.splitlines()[-1]
    assert message.startswith("assume-role: the MFA command")
    assert "exit status 1" in message
    assert SECRET_OUTPUT not in message


def test_wrong_code_from_command_is_refused(aws_env, tmp_path):
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=_script(tmp_path, "wrong.py", "print('000000')\n"))
    assert_clean_failure(run_cli(env, "production", "read"), 4, "refused the MFA code")


def test_code_from_command_never_appears_in_output_or_verbose_log(aws_env, world, tmp_path):
    code_file = tmp_path / "code"
    script = _script(
        tmp_path,
        "mint_and_keep.py",
        "from assume_role_lab.emulator.control import Control\n"
        f"code = Control({world.endpoint!r}).mfa_code({world.mfa_serial!r})\n"
        f"open({str(code_file)!r}, 'w').write(code)\n"
        "print(code)\n",
    )
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=script)
    run = run_cli(env, "--verbose", "--shell", "sh", "production", "read")
    assert run.returncode == 0, run.stderr
    code = code_file.read_text()
    assert code not in run.stdout
    assert code not in run.stderr
    assert "mint_and_keep.py" not in run.stderr  # only the program's name is named


def test_no_command_no_terminal_says_how_to_give_a_code(aws_env, world):
    assert_clean_failure(
        run_cli(aws_env, "production", "read"), 2, "no terminal", "MFA_TOKEN", mfa_input.ENVIRONMENT
    )
