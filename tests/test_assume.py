"""The main command against the strict emulator: flows, output and resolution."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

from support import assert_clean_failure, run_cli
from test_emitters import require

from assume_role.shell import emitters

CALLER_ARN = 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'


def shell_session(shell: str, env: dict, lines: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``lines`` in a real, non-interactive shell with strict flags."""
    command = require(shell)
    if shell == "fish":
        command = [c for c in command if c not in ("-eu",)]
    return subprocess.run(
        command, input="\n".join(lines) + "\n", env=env, capture_output=True, text=True, timeout=timeout
    )


def eval_line(shell: str, *args: str) -> str:
    """How each shell applies assume-role's output, with args quoted for that shell."""
    quote = emitters.for_shell(shell).quote
    call = " ".join(quote(a) for a in [sys.executable, "-m", "assume_role", "--shell", shell, *args])
    if shell == "fish":
        return f"{call} | source"
    return f'eval "$({call})"'


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_round_trip_in_real_shell(shell, aws_env, world, mfa_code):
    result = shell_session(
        shell,
        aws_env,
        [eval_line(shell, "production", "read", mfa_code()), f"{sys.executable} -c '{CALLER_ARN}'",
         'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE $AWS_ACCOUNT_ID $AWS_REGION"'],
    )
    assert result.returncode == 0, result.stderr
    arn, summary = result.stdout.splitlines()
    assert arn == f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    assert summary == f"production:read {world.production_account_id} us-east-1"


def exports_of(stdout: str) -> dict[str, str]:
    pattern = re.compile(r"^export (\w+)='(.*)';$")
    return {m[1]: m[2] for m in map(pattern.match, stdout.splitlines()) if m}


def test_exports_and_unsets(aws_env, world, mfa_code):
    aws_env["AWS_PROFILE"] = "does-not-exist"  # a leftover must not matter
    run = run_cli(aws_env, "--shell", "bash", "staging", "admin", mfa_code(), "eu-west-1")
    assert run.returncode == 0, run.stderr
    values = exports_of(run.stdout)
    assert "unset AWS_PROFILE;" in run.stdout.splitlines()
    assert values["AWS_SESSION_TOKEN"] == values["AWS_SECURITY_TOKEN"] != ""
    assert values["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert values["AWS_REGION"] == values["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert values["AWS_ACCOUNT_ID"] == world.staging_account_id
    assert (values["AWS_ACCOUNT_NAME"], values["AWS_ACCOUNT_ROLE"]) == ("staging", "admin")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", values["AWS_CREDENTIAL_EXPIRATION"])
    expires = int(values["ASSUME_ROLE_EXPIRES_AT"])
    assert abs(expires - (time.time() + 3600)) < 120
    assert run.stderr == ""


def test_account_id_instead_of_alias_is_kept_as_string(aws_env, world, mfa_code):
    run = run_cli(aws_env, "--shell", "bash", world.production_account_id, "read", mfa_code())
    assert run.returncode == 0, run.stderr
    values = exports_of(run.stdout)
    assert values["AWS_ACCOUNT_ID"] == world.production_account_id
    # The id belongs to a known alias, so the prompt still gets the name.
    assert values["AWS_ACCOUNT_NAME"] == "production"


def test_twelve_hour_session_assumes_directly_with_mfa(aws_env, emulator, mfa_code):
    aws_env["AWS_ROLE_SESSION_TIMEOUT"] = "43200"
    run = run_cli(aws_env, "--shell", "bash", "-v", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    expires = int(exports_of(run.stdout)["ASSUME_ROLE_EXPIRES_AT"])
    assert abs(expires - (time.time() + 43200)) < 120
    calls = emulator.control.calls(outcome="ok")
    assert calls.get("GetSessionToken", 0) == 0 and calls["AssumeRole"] == 1
    assert "role-chaining limit" in run.stderr


def test_mfa_session_is_reused_for_a_role_switch(aws_env, emulator, mfa_code):
    first = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert first.returncode == 0, first.stderr
    # No code this time: the stored MFA session must be enough.
    second = run_cli(aws_env, "--shell", "bash", "staging", "admin")
    assert second.returncode == 0, second.stderr
    calls = emulator.control.calls(outcome="ok")
    assert calls["GetSessionToken"] == 1 and calls["AssumeRole"] == 2
    assert calls["ListMFADevices"] == 1


def test_env_backend_keeps_the_mfa_session_in_the_shell(aws_env, emulator, mfa_code):
    aws_env["ASSUME_ROLE_CACHE"] = "env"
    result = shell_session(
        "bash",
        aws_env,
        [eval_line("bash", "production", "read", mfa_code()), eval_line("bash", "staging", "read"),
         'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE"'],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "staging:read"
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    # Nothing was written to disk by the env backend.
    assert not any((p.name.endswith(".json") for p in (os.scandir(aws_env["XDG_CACHE_HOME"]))))


def test_configured_mfa_serial_skips_the_iam_lookup(aws_env, emulator, world, mfa_code):
    with open(aws_env["AWS_CONFIG_FILE"], "a") as config:
        config.write(f"mfa_serial = {world.mfa_serial}\n")
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert "ListMFADevices" not in emulator.control.calls()


def test_credential_process_in_bastion_profile(aws_env, world, mfa_code, tmp_path):
    helper = tmp_path / "creds.py"
    helper.write_text(
        "import json\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': {world.access_key_id!r}, "
        f"'SecretAccessKey': {world.secret_access_key!r}}}))\n"
    )
    with open(aws_env["AWS_SHARED_CREDENTIALS_FILE"], "w") as credentials:
        credentials.write("[bastion]\n")
    with open(aws_env["AWS_CONFIG_FILE"], "a") as config:
        config.write(f"[profile bastion]\ncredential_process = {sys.executable} {helper}\n")
    aws_env["AWS_PROFILE_ASSUME_ROLE"] = "bastion"
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr


def test_accounts_file_object_form_and_region(aws_env, world, mfa_code):
    with open(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"], "w") as accounts:
        json.dump({"prod": {"id": world.production_account_id, "roles": ["read"], "region": "eu-central-1"}}, accounts)
    run = run_cli(aws_env, "--shell", "bash", "prod", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_REGION"] == "eu-central-1"


def test_verbose_explains_without_secrets(aws_env, mfa_code):
    code = mfa_code()
    run = run_cli(aws_env, "--shell", "bash", "-v", "production", "read", code)
    assert run.returncode == 0, run.stderr
    values = exports_of(run.stdout)
    assert "sts:AssumeRole" in run.stderr and "GetSessionToken" in run.stderr
    for secret in (values["AWS_SECRET_ACCESS_KEY"], values["AWS_SESSION_TOKEN"], code):
        assert secret not in run.stderr


def test_role_credentials_are_reused_without_aws(aws_env, emulator, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    again = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert again.returncode == 0, again.stderr
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 1
    refreshed = run_cli(aws_env, "--shell", "bash", "--refresh", "production", "read")
    assert refreshed.returncode == 0, refreshed.stderr
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 2
    assert exports_of(refreshed.stdout)["AWS_ACCESS_KEY_ID"] != exports_of(again.stdout)["AWS_ACCESS_KEY_ID"]


def test_help_and_version_leave_the_eval_channel_alone_with_shell(aws_env):
    run = run_cli(aws_env, "--shell", "zsh", "--help")
    assert run.returncode == 0 and run.stdout == ""
    assert "role chaining" in run.stderr
    plain = run_cli(aws_env, "--help")
    assert "usage: assume-role" in plain.stdout
    assert run_cli(aws_env, "help").stdout == plain.stdout


def test_clear_unsets_everything(aws_env):
    run = run_cli(aws_env, "--shell", "fish", "clear")
    assert run.returncode == 0
    assert "set -e -g AWS_SECRET_ACCESS_KEY" in run.stdout
    assert "set -e -g AWS_PROFILE" in run.stdout
    assert run_cli(aws_env, "--shell", "fish", "--unset").stdout == run.stdout


def test_detects_calling_shell_without_flag(aws_env):
    result = subprocess.run(
        ["fish", "--no-config", "-c", f"{sys.executable} -m assume_role clear"],
        env=aws_env, capture_output=True, text=True, timeout=60,
    )
    assert "set -e -g AWS_ACCESS_KEY_ID" in result.stdout


def test_missing_mfa_code_without_terminal_fails_at_once(aws_env):
    run = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 2, "MFA code")


def test_mfa_device_lookup_is_remembered(aws_env, emulator, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    assert run_cli(aws_env, "logout").returncode == 0  # forget the sessions, not the device
    again = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert again.returncode == 0, again.stderr
    calls = emulator.control.calls(outcome="ok")
    assert calls["GetSessionToken"] == 2 and calls["ListMFADevices"] == 1
    assert calls["GetCallerIdentity"] == 1


@pytest.mark.parametrize("setting, outcome", [("none", 5), ("account", 0), ("wrong-id", 5)])
def test_external_id_setting_is_what_aws_sees(setting, outcome, aws_env, mfa_code):
    # The seeded roles demand ExternalId = account id, so only the default passes.
    aws_env["ASSUME_ROLE_EXTERNAL_ID"] = setting
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == outcome, run.stderr
