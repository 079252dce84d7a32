"""Role names with an IAM path, and the role session name AWS records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli
from test_assume import CALLER_ARN, eval_line, exports_of, shell_session
from test_interactive import terminal  # noqa: F401 (fixture)

from assume_role import validate
from assume_role_lab.emulator.sandbox import write_sandbox
from assume_role_lab.emulator.world import BASTION_ACCOUNT_ID, admin_client, seed_world, trust_policy
from assume_role.errors import UsageError


@pytest.fixture
def team_deploy(emulator, world) -> str:
    """A role `deploy` under the path /team/ in production."""
    iam = admin_client(emulator.endpoint, "iam", world.production_account_id)
    try:
        iam.create_role(
            RoleName="deploy",
            Path="/team/",
            AssumeRolePolicyDocument=json.dumps(trust_policy(BASTION_ACCOUNT_ID, world.production_account_id)),
            MaxSessionDuration=43200,
        )
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    return f"arn:aws:iam::{world.production_account_id}:role/team/deploy"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_role_with_a_path_is_assumed(shell, team_deploy, aws_env, world, mfa_code):
    result = shell_session(
        shell,
        aws_env,
        [eval_line(shell, "production", "team/deploy", mfa_code()), f"{sys.executable} -c '{CALLER_ARN}'",
         'echo "$AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE"'],
    )
    assert result.returncode == 0, result.stderr
    # AWS names only the last part of the path in the assumed-role ARN.
    assert result.stdout.splitlines() == [
        f"arn:aws:sts::{world.production_account_id}:assumed-role/deploy/{world.user_name}",
        "production:team/deploy",
    ]


def test_the_path_matters(team_deploy, aws_env, mfa_code):
    run = run_cli(aws_env, "--shell", "bash", "production", "deploy", mfa_code())
    assert_clean_failure(run, 5, "role/deploy")


@pytest.mark.parametrize(
    "name", ["/team/deploy", "team//deploy", "team/", "team/de ploy", "team/$(id)/x", "a" * 65, "x/" * 33 + "r"]
)
def test_malformed_role_paths_are_refused(name, aws_env):
    assert_clean_failure(run_cli(aws_env, "--shell", "bash", "production", name, "123456"), 2, "invalid role name")


def test_completion_offers_roles_with_paths(team_deploy, aws_env, world):
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({"production": {"id": world.production_account_id, "roles": ["team/deploy", "read"]}})
    )
    for shell in ("bash", "zsh", "fish"):
        run = run_cli(aws_env, "__complete", "--shell", shell, "--", "production", "te")
        assert run.returncode == 0 and "team/deploy" in run.stdout, (shell, run.stdout)


def test_picker_offers_roles_with_paths(terminal, team_deploy, aws_env, world, mfa_code):
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({"production": {"id": world.production_account_id, "roles": ["read", "team/deploy"]}})
    )
    term = terminal("zsh")
    child = term.child
    term.run("assume-role production")
    child.expect_exact("team/deploy")
    child.send("deploy\r")
    child.expect_exact("MFA code for")
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    assert term.identity().endswith(f":assumed-role/deploy/{world.user_name}")


# -- the role session name -------------------------------------------------------------


def _arn(env: dict, *args: str) -> str:
    run = run_cli(env, "--shell", "bash", *args)
    assert run.returncode == 0, run.stderr
    import subprocess

    values = exports_of(run.stdout)
    child = subprocess.run(
        [sys.executable, "-c", CALLER_ARN], env={**env, **values}, capture_output=True, text=True, timeout=60
    )
    return child.stdout.strip()


@pytest.mark.parametrize(
    "variables, session",
    [
        ({"AWS_USERNAME": "bob"}, "bob"),
        ({"ASSUME_ROLE_SESSION_NAME": "ci-build-42", "AWS_USERNAME": "bob"}, "ci-build-42"),
        ({"ASSUME_ROLE_SESSION_NAME": "alice laptop #1"}, "alice-laptop--1"),
        ({"AWS_USERNAME": "é"}, "assume-role"),
        ({"ASSUME_ROLE_SESSION_NAME": "x" * 80}, "x" * 64),
        ({"AWS_USERNAME": "q"}, "q-assume-role"),
    ],
)
def test_session_name_from_the_environment(variables, session, aws_env, mfa_code):
    assert _arn({**aws_env, **variables}, "production", "read", mfa_code()).endswith(f"/read/{session}")


def test_session_name_is_part_of_the_stored_session(aws_env, emulator, world, mfa_code):
    assert _arn(aws_env, "production", "read", mfa_code()).endswith(f"/read/{world.user_name}")
    assert _arn({**aws_env, "AWS_USERNAME": "bob"}, "production", "read").endswith("/read/bob")
    assert _arn(aws_env, "production", "read").endswith(f"/read/{world.user_name}")
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 2


def test_one_character_iam_user(emulator, tmp_path):
    world = seed_world(emulator.endpoint, user_name="a")
    env = write_sandbox(tmp_path, world, endpoint=emulator.endpoint)
    code = emulator.control.mfa_code(world.mfa_serial)
    assert _arn(env, "production", "read", code).endswith("/read/a-assume-role")


@pytest.mark.parametrize(
    "value, expected",
    [("alice", "alice"), ("a", "a-assume-role"), ("", "assume-role"), ("a b", "a-b"), ("ü", "assume-role"), ("-", "assume-role"),
     ("x" * 70, "x" * 64), ("me@example.com", "me@example.com")],
)
def test_session_names_are_always_valid(value, expected):
    name = validate.session_name(value)
    assert name == expected
    assert 2 <= len(name) <= 64


def test_role_name_validation_keeps_the_iam_rule():
    assert validate.role_name("team/sub/deploy") == "team/sub/deploy"
    with pytest.raises(UsageError):
        validate.role_name("deploy/")


def test_status_with_a_role_path(team_deploy, aws_env, world, mfa_code):
    run = run_cli(aws_env, "--shell", "bash", "production", "team/deploy", mfa_code())
    assert run.returncode == 0, run.stderr
    env = {**aws_env, **exports_of(run.stdout)}
    status = run_cli(env, "status", "--check")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.splitlines()[0].startswith("production:team/deploy ")
    assert f"assumed-role/deploy/{world.user_name}" in status.stdout
    assert "mismatch" not in status.stdout
