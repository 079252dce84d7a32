"""SourceIdentity and session tags on AssumeRole, and the trust policy that must allow them."""

from __future__ import annotations

import json

import pytest

from support import assert_clean_failure, run_cli

from assume_role_lab.emulator.world import BASTION_ACCOUNT_ID, admin_client, trust_policy


@pytest.fixture(scope="module")
def traced_role(emulator, world):
    """``traced`` in production: trusts the bastion for AssumeRole, SetSourceIdentity and TagSession."""
    policy = trust_policy(BASTION_ACCOUNT_ID, world.production_account_id)
    policy["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    iam = admin_client(emulator.endpoint, "iam", world.production_account_id)
    iam.create_role(RoleName="traced", AssumeRolePolicyDocument=json.dumps(policy), MaxSessionDuration=43200)
    return "traced"


def assume(env, role, *extra):
    return run_cli(env, "--shell", "bash", "production", role, *extra)


def test_nothing_is_sent_unless_asked_for(aws_env, traced_role, mfa_code, emulator):
    assert assume(aws_env, traced_role, mfa_code()).returncode == 0
    [request] = emulator.control.assumed_roles()
    assert request["source_identity"] is None and request["tags"] == {}


def test_source_identity_and_tags_reach_assume_role(aws_env, traced_role, mfa_code, emulator, world):
    aws_env["ASSUME_ROLE_SOURCE_IDENTITY"] = "1"
    aws_env["ASSUME_ROLE_TAGS"] = "team=platform, cost-center = 42,ticket=OPS-7"
    run = assume(aws_env, traced_role, mfa_code())
    assert run.returncode == 0, run.stderr
    [request] = emulator.control.assumed_roles()
    assert request["source_identity"] == world.user_name
    assert request["tags"] == {"team": "platform", "cost-center": "42", "ticket": "OPS-7"}


def test_a_stored_untraced_session_is_not_reused_once_tracing_is_on(aws_env, traced_role, mfa_code, emulator, world):
    assert assume(aws_env, traced_role, mfa_code()).returncode == 0
    aws_env["ASSUME_ROLE_SOURCE_IDENTITY"] = "1"
    assert assume(aws_env, traced_role).returncode == 0  # the MFA session is reused, the role is not
    assert [r["source_identity"] for r in emulator.control.assumed_roles()] == [None, world.user_name]
    assert assume(aws_env, traced_role).returncode == 0  # now the traced one is
    assert len(emulator.control.assumed_roles()) == 2


@pytest.mark.parametrize(
    ("variable", "value", "permission"),
    [("ASSUME_ROLE_SOURCE_IDENTITY", "1", "sts:SetSourceIdentity"), ("ASSUME_ROLE_TAGS", "team=platform", "sts:TagSession")],
)
def test_a_trust_policy_that_refuses_names_the_missing_permission(aws_env, mfa_code, emulator, variable, value, permission):
    aws_env[variable] = value
    run = assume(aws_env, "read", mfa_code())  # read trusts the bastion for sts:AssumeRole only
    assert_clean_failure(run, 5, permission, variable, "trust policy")
    assert emulator.control.assumed_roles() == []


@pytest.mark.parametrize(
    "tags",
    ["team", "=x", "a=b,A=c", "aws:x=1", "k=v;rm -rf", "k=" + "v" * 257, ",".join(f"k{n}=v" for n in range(51))],
)
def test_bad_tags_are_refused_before_any_call(aws_env, emulator, tags):
    aws_env["ASSUME_ROLE_TAGS"] = tags
    run = assume(aws_env, "read", "123456")
    assert_clean_failure(run, 2, "ASSUME_ROLE_TAGS")
    assert emulator.control.calls() == {}


def test_a_bad_source_identity_switch_is_refused(aws_env, emulator):
    aws_env["ASSUME_ROLE_SOURCE_IDENTITY"] = "maybe"
    assert_clean_failure(assume(aws_env, "read", "123456"), 2, "ASSUME_ROLE_SOURCE_IDENTITY")
    assert emulator.control.calls() == {}
