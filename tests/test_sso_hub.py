"""Hub and spoke: an IAM Identity Center role in the bastion account is the bastion.

The profile names its own role (``sso_account_id``, ``sso_role_name``): the
Bastion permission set's credentials assume the target roles the accounts
file describes, as the bastion IAM user's do. That is role chaining.
"""

from __future__ import annotations

import pytest

from assume_role_lab.emulator.sandbox import add_sso_profile
from support import assert_clean_failure, run_cli
from test_assume import exports_of
from test_sso import caller_arn, cli_login


@pytest.fixture
def hub_env(aws_env, sso_world, emulator):
    env = add_sso_profile(aws_env, sso_world, profile="hub", hub=True)
    cli_login(emulator, sso_world, env)
    return env


def test_the_hub_role_assumes_the_target_role(emulator, sso_world, world, hub_env):
    run = run_cli(hub_env, "--shell", "bash", "production", "read")
    assert run.returncode == 0, run.stderr
    arn = caller_arn(emulator.endpoint, exports_of(run.stdout))
    # The session is named after the person who signed in.
    assert arn == f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{sso_world.user}"
    assert emulator.control.calls() == {"GetRoleCredentials": 1, "GetCallerIdentity": 2, "AssumeRole": 1}
    (assumed,) = emulator.control.assumed_roles()
    assert assumed["role_arn"] == world.role_arn("production", "read")


def test_the_hub_session_serves_the_next_role(emulator, hub_env):
    assert run_cli(hub_env, "--shell", "bash", "production", "read").returncode == 0
    emulator.control.reset()
    run = run_cli(hub_env, "--shell", "bash", "staging", "admin")
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"AssumeRole": 1}


def test_a_longer_session_is_one_hour_and_says_so(emulator, hub_env):
    # The emulator refuses a chained session over an hour: success is the proof.
    run = run_cli(dict(hub_env, AWS_ROLE_SESSION_TIMEOUT="7200"), "--shell", "bash", "production", "admin")
    assert run.returncode == 0, run.stderr
    assert run.stderr == (
        "assume-role: warning: AWS_ROLE_SESSION_TIMEOUT=7200 is over the 1-hour limit of role chaining, which "
        "applies to roles assumed from an IAM Identity Center role; asking for 3600s\n"
    )


def test_a_revoked_hub_session_is_replaced(emulator, hub_env):
    assert run_cli(hub_env, "--shell", "bash", "production", "read").returncode == 0
    emulator.control.revoke_sessions(kind="role")
    emulator.control.reset()
    run = run_cli(hub_env, "--shell", "bash", "--refresh", "production", "read")
    assert run.returncode == 0, run.stderr
    calls = emulator.control.calls()
    assert calls["GetRoleCredentials"] == 1 and calls["AssumeRole"] == 2


def test_a_role_that_does_not_trust_the_hub_is_denied(emulator, world, hub_env):
    from assume_role_lab.emulator import admin_client

    iam = admin_client(emulator.endpoint, "iam", world.production_account_id)
    iam.create_role(RoleName="untrusting", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    try:
        run = run_cli(hub_env, "--shell", "bash", "production", "untrusting")
        assert_clean_failure(run, 5, "denied sts:AssumeRole")
    finally:
        iam.delete_role(RoleName="untrusting")
