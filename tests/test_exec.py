"""``assume-role exec``: a command runs as the role; the calling shell does not change."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin"
CALLER_ARN = 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'


def start(env: dict, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assume_role", *args], env=env, **kwargs)


def test_command_runs_as_the_role(aws_env, world, mfa_code):
    aws_env["AWS_PROFILE"] = "leftover"  # must not reach the command
    run = run_cli(aws_env, "exec", "production", "read", mfa_code(), "--", sys.executable, "-c",
                  CALLER_ARN + '; import os; print(os.environ.get("AWS_PROFILE", "none"), os.environ["AWS_ACCOUNT_NAME"])')
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}",
        "none production",
    ]
    assert run.stderr == ""


def test_exit_status_and_stdin_pass_through(aws_env, mfa_code):
    result = subprocess.run(
        [sys.executable, "-m", "assume_role", "exec", "staging", "read", mfa_code(), "--",
         "sh", "-c", 'tr a-z A-Z; echo "$AWS_ACCOUNT_ROLE" >&2; exit 42'],
        env=aws_env, input="piped in\n", capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 42
    assert result.stdout == "PIPED IN\n"
    assert result.stderr == "read\n"


def test_no_credentials_on_any_command_line(aws_env, mfa_code, tmp_path):
    # The command replaces the helper: its own command line is the only one.
    out = tmp_path / "cmdline"
    run = run_cli(aws_env, "exec", "production", "read", mfa_code(), "--", "sh", "-c",
                  f'tr "\\0" " " < /proc/$$/cmdline > {out}; echo "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN"')
    assert run.returncode == 0, run.stderr
    secret, token = run.stdout.split()
    cmdline = out.read_text()
    assert cmdline.startswith("sh -c ") and secret not in cmdline and token not in cmdline


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_reach_the_command(aws_env, mfa_code, signum):
    handler = (
        "import os, signal, time\n"
        f"signal.signal({int(signum)}, lambda *a: (os.write(1, b'caught\\n'), os._exit(3)))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = start(aws_env, "exec", "production", "read", mfa_code(), "--", sys.executable, "-c", handler,
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "ready\n"
        os.kill(process.pid, signum)  # the pid the caller started: the command itself
        assert process.stdout.readline() == "caught\n"
        assert process.wait(timeout=30) == 3
    finally:
        process.kill()
        process.wait()


def test_a_command_killed_by_a_signal_reports_it(aws_env, mfa_code):
    process = start(aws_env, "exec", "production", "read", mfa_code(), "--", "sleep", "60",
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not open(f"/proc/{process.pid}/cmdline", "rb").read().startswith(b"sleep"):
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == -signal.SIGINT
    finally:
        process.kill()
        process.wait()


def test_missing_command_and_separator(aws_env, mfa_code):
    assert_clean_failure(run_cli(aws_env, "exec", "production", "read", mfa_code(), "--", "no-such-command-x"),
                         127, "command not found")
    assert_clean_failure(run_cli(aws_env, "exec", "production", "read", "true"), 2, "--")
    assert_clean_failure(run_cli(aws_env, "exec", "production", "read", "--"), 2, "command after")


@pytest.mark.parametrize("subcommand", ["exec", "credential-process", "console"])
def test_tab_completes_account_then_role(subcommand, tmp_path):
    accounts = tmp_path / "accounts"
    accounts.write_text('{"production": {"id": "111111111111", "roles": ["read", "admin"]}, "staging": "222222222222"}')
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(PLUGIN_DIR),
           "ASSUME_ROLE_ACCOUNTS_FILE": str(accounts), "XDG_STATE_HOME": str(tmp_path / "state")}
    assert run_cli(env, "__complete", "--shell", "bash", "--", subcommand, "pr").stdout == "production\n"
    assert run_cli(env, "__complete", "--shell", "bash", "--", subcommand, "production", "").stdout == "read\nadmin\n"
