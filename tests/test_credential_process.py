"""``assume-role credential-process``: the role for the AWS CLI, SDKs and any tool with a profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest

from support import assert_clean_failure, run_cli
from test_imports import loaded

from assume_role import aws_config
from assume_role.accounts import Account

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin"
CALLERS = 12


@pytest.fixture
def tool_env(aws_env, world, emulator, tmp_path):
    """The sandbox plus an `assume-role` program and an MFA command that counts its runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "assume-role"
    helper.write_text(
        f"#!/bin/sh\nPYTHONPATH='{PLUGIN_DIR}' exec '{sys.executable}' -m assume_role \"$@\"\n"
    )
    helper.chmod(0o755)
    runs = tmp_path / "mfa-runs"
    mfa = bin_dir / "mfa-code"
    mfa.write_text(
        f"#!/bin/sh\necho run >> '{runs}'\n"
        f"exec '{sys.executable}' -c 'from assume_role_lab.emulator.control import Control; "
        f"print(Control(\"{emulator.endpoint}\").mfa_code(\"{world.mfa_serial}\"))'\n"
    )
    mfa.chmod(0o755)
    return {**aws_env, "PATH": f"{bin_dir}:{aws_env['PATH']}", "ASSUME_ROLE_MFA_PROCESS": str(mfa)}, runs


def list_roles(env: dict, world) -> None:
    """The accounts file in the form that names each account's roles."""
    Path(env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({alias: {"id": account_id, "roles": list(world.roles)} for alias, account_id in world.accounts.items()})
    )


def test_prints_version_1_json(aws_env, world, mfa_code):
    run = run_cli(aws_env, "credential-process", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    document = json.loads(run.stdout)
    assert set(document) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert document["Version"] == 1 and document["AccessKeyId"].startswith("ASIA")
    assert document["Expiration"].endswith("Z")
    left = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00")) - datetime.now(timezone.utc)
    assert timedelta(minutes=50) < left <= timedelta(hours=1)


def test_no_terminal_and_no_mfa_command_says_what_to_run(aws_env):
    run = subprocess.run(
        [sys.executable, "-m", "assume_role", "credential-process", "production", "read"],
        env=aws_env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        start_new_session=True,  # no controlling terminal either
    )
    assert_clean_failure(run, 2, "run `assume-role production read` in a terminal")


def test_asks_on_the_controlling_terminal_when_stdin_is_not_one(aws_env, mfa_code):
    # A tool that runs the command with pipes, from a terminal a person sits at.
    child = pexpect.spawn(
        "sh", ["-c", f"'{sys.executable}' -m assume_role credential-process production read </dev/null"],
        env=aws_env, encoding="utf-8", timeout=60,
    )
    child.expect("MFA code for")
    child.sendline(mfa_code())
    child.expect(r'\{"Version": 1, "AccessKeyId": "ASIA')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_cache_hit_imports_no_botocore(aws_env, mfa_code):
    assert run_cli(aws_env, "credential-process", "production", "read", mfa_code()).returncode == 0
    assert loaded(aws_env, "credential-process", "production", "read") == set()


def test_a_dozen_tools_at_once_share_one_code(tool_env, world, emulator):
    env, runs = tool_env
    list_roles(env, world)
    written = run_cli(env, "credential-process", "--profiles", "--write")
    assert written.returncode == 0, written.stderr
    assert "[profile production-read]" in Path(env["AWS_CONFIG_FILE"]).read_text()
    aws_cli = [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "production-read",
               "--query", "Arn", "--output", "text"]
    sdk = [sys.executable, "-c",
           'import boto3; print(boto3.Session(profile_name="production-read")'
           '.client("sts").get_caller_identity()["Arn"])']
    env["AWS_DEFAULT_REGION"] = world.region  # the profiles name none: the accounts file has none
    processes = [
        subprocess.Popen(aws_cli if i % 2 else sdk, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
        for i in range(CALLERS)
    ]
    results = [(p.communicate(timeout=120), p.returncode) for p in processes]
    arn = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    for (out, err), status in results:
        assert status == 0, err
        assert out.strip() == arn
    assert runs.read_text().splitlines() == ["run"]
    assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1


# -- profiles for the accounts file ------------------------------------------------

ACCOUNTS = [
    Account("production", "111111111111", ("read", "admin"), "eu-west-1"),
    Account("staging", "222222222222", ("read",)),
    Account("bad name", "333333333333", ("read",)),
    Account("noroles", "444444444444"),
]

USER_CONFIG = """\
# my settings
[default]
region = us-east-1  ; inline note

[profile production-admin]
# mine, by hand
role_arn = arn:aws:iam::111111111111:role/admin
source_profile = default

[profile other]
output = json
"""


def test_profiles_are_printed_for_every_listed_role():
    text = aws_config.render(aws_config.credential_process_profiles(ACCOUNTS, "/opt/bin/assume-role"))
    assert text == (
        "[profile production-read]\n"
        "credential_process = /opt/bin/assume-role credential-process production read\n"
        "region = eu-west-1\n\n"
        "[profile production-admin]\n"
        "credential_process = /opt/bin/assume-role credential-process production admin\n"
        "region = eu-west-1\n\n"
        "[profile staging-read]\n"
        "credential_process = /opt/bin/assume-role credential-process staging read\n\n"
    )


def test_merge_keeps_comments_and_the_users_profiles():
    sections = aws_config.credential_process_profiles(ACCOUNTS, "assume-role")
    merged, report = aws_config.merge(USER_CONFIG, sections)
    assert merged.startswith(USER_CONFIG)  # every line of the user's, byte for byte
    assert "[profile production-read]\n" in merged and "[profile staging-read]\n" in merged
    assert merged.count("[profile production-admin]") == 1
    assert any("left alone 1 profile(s)" in line and "production-admin" in line for line in report)
    # Again: nothing changes. An outdated profile of ours is updated in place.
    assert aws_config.merge(merged, sections)[0] == merged
    moved = [s._replace(lines=(s.lines[0].replace("assume-role ", "/new/assume-role "),) + s.lines[1:])
             for s in sections]
    updated, report = aws_config.merge(merged, moved)
    assert updated.startswith(USER_CONFIG)
    assert "credential_process = /new/assume-role credential-process staging read\n" in updated
    assert updated.count("[profile staging-read]") == 1
    assert any(line.startswith("updated 2 profile(s)") for line in report)


def test_write_keeps_a_backup_and_refuses_a_file_of_another_user(aws_env, world):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG)
    config.chmod(0o640)
    run = run_cli(aws_env, "credential-process", "--profiles", "--write", "--command", "assume-role")
    assert run.returncode == 0, run.stderr
    (backup,) = config.parent.glob("config.*.bak")
    assert backup.read_text() == USER_CONFIG
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    assert "[profile production-read]" in config.read_text()
    assert not list(config.parent.glob(".config.*"))  # no temporary file left

    os.chown(config, 12345, 12345)
    before = config.read_text()
    refused = run_cli(aws_env, "credential-process", "--profiles", "--write")
    assert_clean_failure(refused, 2, "belongs to another user")
    assert config.read_text() == before
