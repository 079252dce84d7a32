"""Bastion profiles whose credentials are temporary: a role profile, a credential_process
that returns a session, session keys in the credentials file.

Such credentials cannot call GetSessionToken, and the person signed in their
own way: the role is assumed with them directly, without an MFA step, for at
most the hour AWS allows role chaining. In the emulator's world the bastion
account's ``hub`` role may be assumed by alice without MFA, and each target
account's ``ops`` role trusts the hub role without MFA (``read`` and ``admin``
still require it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli
from test_assume import CALLER_ARN, eval_line, exports_of, shell_session
from test_imports import loaded, probe


def use_profile(env: dict, name: str, settings: str) -> dict:
    """``env`` with ``[profile NAME]`` added to the config file as the bastion profile."""
    with open(env["AWS_CONFIG_FILE"], "a") as config:
        config.write(f"[profile {name}]\n{settings}")
    return {**env, "AWS_PROFILE_ASSUME_ROLE": name}


def role_profile(env: dict, world, session_name: str = "alice-hub") -> dict:
    """A role profile whose source_profile is the sandbox's default (alice's keys)."""
    return use_profile(
        env, "hub",
        f"role_arn = {world.hub_role_arn}\nsource_profile = default\nrole_session_name = {session_name}\n"
        f"region = {world.region}\n",
    )


def hub_session(world, session_name: str) -> dict:
    """Credentials of the hub role, got with alice's keys as another tool would."""
    import boto3

    sts = boto3.client(
        "sts", endpoint_url=world.endpoint, region_name=world.region,
        aws_access_key_id=world.access_key_id, aws_secret_access_key=world.secret_access_key,
    )
    return sts.assume_role(RoleArn=world.hub_role_arn, RoleSessionName=session_name)["Credentials"]


def session_process(env: dict, world, tmp_path: Path, session_name: str = "alice-cp") -> dict:
    """A credential_process bastion profile that prints a hub session, Expiration included."""
    found = hub_session(world, session_name)
    helper = tmp_path / "session.py"
    helper.write_text("import json\nprint(json.dumps(" + repr({
        "Version": 1, "AccessKeyId": found["AccessKeyId"], "SecretAccessKey": found["SecretAccessKey"],
        "SessionToken": found["SessionToken"], "Expiration": found["Expiration"].isoformat(),
    }) + "))\n")
    return use_profile(env, "session", f"credential_process = {sys.executable} {helper}\n")


def ops_arn(world, session_name: str, account: str = "production") -> str:
    return f"arn:aws:sts::{world.account_id(account)}:assumed-role/{world.hub_target_role}/{session_name}"


# -- the role, without an MFA step ------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_role_profile_round_trip_in_real_shell(shell, aws_env, world, emulator):
    env = role_profile(aws_env, world)
    result = shell_session(shell, env, [eval_line(shell, "production", "ops"), f"{sys.executable} -c '{CALLER_ARN}'"])
    assert result.returncode == 0, result.stderr
    # The session name is the one the hub session carries.
    assert result.stdout.strip() == ops_arn(world, "alice-hub")
    assert result.stderr == ""
    calls = emulator.control.calls(outcome="ok")
    assert "GetSessionToken" not in calls and "ListMFADevices" not in calls


def test_credential_process_returning_a_session_round_trip(aws_env, world, emulator, tmp_path):
    env = session_process(aws_env, world, tmp_path)
    result = shell_session(
        "bash", env, [eval_line("bash", "staging", "ops"), f"{sys.executable} -c '{CALLER_ARN}'"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ops_arn(world, "alice-cp", "staging")
    assert "GetSessionToken" not in emulator.control.calls()


def test_session_keys_in_the_credentials_file_need_no_botocore(aws_env, world):
    found = hub_session(world, "alice-keys")
    with open(aws_env["AWS_SHARED_CREDENTIALS_FILE"], "a") as credentials:
        credentials.write(
            f"[pasted]\naws_access_key_id = {found['AccessKeyId']}\naws_secret_access_key = {found['SecretAccessKey']}\n"
            f"aws_session_token = {found['SessionToken']}\n"
        )
    env = {**aws_env, "AWS_PROFILE_ASSUME_ROLE": "pasted"}
    assert loaded(env, "--shell", "bash", "production", "ops") == set()
    run = run_cli(env, "--shell", "bash", "--refresh", "production", "ops")
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_ACCOUNT_ROLE"] == "ops"


def test_the_session_name_setting_wins_and_saves_a_call(aws_env, world, emulator):
    env = {**role_profile(aws_env, world), "ASSUME_ROLE_SESSION_NAME": "deploy bot"}
    result = shell_session("bash", env, [eval_line("bash", "production", "ops"), f"{sys.executable} -c '{CALLER_ARN}'"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ops_arn(world, "deploy-bot")
    # The one GetCallerIdentity is the shell's boto3 asking who it is.
    assert emulator.control.calls()["GetCallerIdentity"] == 1


def test_stored_role_credentials_are_reused_under_the_bastion_profile(aws_env, world, emulator):
    env = role_profile(aws_env, world)
    first = run_cli(env, "--shell", "bash", "production", "ops")
    assert first.returncode == 0, first.stderr
    # A hit reads the store only: no botocore, no hub role assumed again.
    stdout, heavy = probe(env, "--shell", "bash", "production", "ops")
    assert heavy == set()
    assert exports_of(stdout)["AWS_ACCESS_KEY_ID"] == exports_of(first.stdout)["AWS_ACCESS_KEY_ID"]
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 2  # the hub, then ops, once each
    # Another bastion profile never gets them.
    other = session_process(aws_env, world, Path(env["HOME"]))
    again = run_cli(other, "--shell", "bash", "production", "ops")
    assert exports_of(again.stdout)["AWS_ACCESS_KEY_ID"] != exports_of(first.stdout)["AWS_ACCESS_KEY_ID"]


def test_over_an_hour_is_assumed_for_the_hour_with_one_line(aws_env, world):
    env = {**role_profile(aws_env, world), "AWS_ROLE_SESSION_TIMEOUT": "43200"}
    run = run_cli(env, "--shell", "bash", "production", "ops")
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        "assume-role: warning: AWS_ROLE_SESSION_TIMEOUT=43200 is over the 1-hour limit of a role assumed with the "
        "temporary credentials of bastion profile 'hub' (role chaining): assumed it for 3600s"
    ]
    assert int(exports_of(run.stdout)["ASSUME_ROLE_EXPIRES_AT"]) - time.time() <= 3600


def test_an_mfa_code_given_is_not_used_and_said_so(aws_env, world, mfa_code, emulator):
    code = mfa_code()
    run = run_cli(role_profile(aws_env, world), "--shell", "bash", "production", "ops", code)
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == [
        "assume-role: the bastion profile 'hub' gives temporary credentials, which need no MFA step; "
        "the MFA code given was not used"
    ]
    assert "GetSessionToken" not in emulator.control.calls()


def test_a_role_that_requires_mfa_refuses_the_session_in_one_line(aws_env, world):
    run = run_cli(role_profile(aws_env, world), "--shell", "bash", "production", "read")
    assert_clean_failure(
        run, 5, f"AWS denied sts:AssumeRole on {world.role_arn('production', 'read')} to the temporary credentials "
        f"of bastion profile 'hub' (arn:aws:sts::{world.bastion_account_id}:assumed-role/hub/alice-hub): no MFA step",
        "must allow that principal without an MFA condition",
    )


def test_long_term_keys_from_a_credential_process_keep_the_mfa_flow(aws_env, world, mfa_code, emulator, tmp_path):
    helper = tmp_path / "keys.py"
    helper.write_text(
        "import json\n"
        f"print(json.dumps({{'Version': 1, 'AccessKeyId': {world.access_key_id!r}, "
        f"'SecretAccessKey': {world.secret_access_key!r}}}))\n"
    )
    env = use_profile(aws_env, "keys", f"credential_process = {sys.executable} {helper}\n")
    run = run_cli(env, "--shell", "bash", "production", "ops", mfa_code())
    # alice's own keys go through the MFA session, which the ops role does not trust.
    assert_clean_failure(run, 5, "AWS denied sts:AssumeRole on")
    assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1
    assert run_cli(env, "--shell", "bash", "production", "read").returncode == 0


def test_console_with_a_role_profile(aws_env, world, emulator):
    env = {**role_profile(aws_env, world), "ASSUME_ROLE_FEDERATION_ENDPOINT": f"{emulator.endpoint}/federation"}
    run = run_cli(env, "console", "production", "ops", "--print")
    assert run.returncode == 0, run.stderr
    import urllib.request

    with urllib.request.urlopen(run.stdout.strip(), timeout=10) as answer:
        assert json.loads(answer.read())["signed_in_as"] == ops_arn(world, "alice-hub")


# -- status ---------------------------------------------------------------------------------


def test_status_names_the_profile_and_when_its_credentials_end(aws_env, world):
    from test_json_output import check

    env = role_profile(aws_env, world)
    status = f"{sys.executable} -m assume_role status"
    result = shell_session("bash", env, [eval_line("bash", "production", "ops"), status, f"{status} --json"])
    assert result.returncode == 0, result.stderr
    text, document = _split(result.stdout)
    assert text[1] == f"identity:     {ops_arn(world, 'alice-hub')}"
    assert text[3].startswith(
        "sign-in:      profile hub (role_arn): temporary credentials, no MFA step; the last run's credentials end at "
    ) and text[3].endswith(" left)")
    assert not any(line.startswith("MFA session:") for line in text)
    sign_in = check(document, "assume-role status --json")["sign_in"]
    assert (sign_in["kind"], sign_in["profile"], sign_in["via"], sign_in["idp"]) == ("profile", "hub", "role_arn", None)
    assert 0 < sign_in["seconds_left"] <= 3600


def _split(stdout: str) -> tuple[list[str], str]:
    """status's lines, and the JSON document printed after them."""
    lines = stdout.splitlines()
    return lines[:-1], lines[-1] + "\n"


def test_status_learns_what_a_credential_process_gives(aws_env, world, tmp_path):
    env = session_process(aws_env, world, tmp_path)
    before = run_cli(env, "status").stdout.splitlines()
    assert "sign-in:      bastion MFA: profile session (credential_process), if it gives an IAM user's keys" in before
    assert run_cli(env, "--shell", "bash", "production", "ops").returncode == 0
    after = run_cli(env, "status").stdout.splitlines()
    assert any(line.startswith("sign-in:      profile session (credential_process): temporary credentials, no MFA "
                               "step; the last run's credentials end at ") for line in after), after


# -- every subcommand --------------------------------------------------------------------


def test_exec_and_credential_process_with_a_role_profile(aws_env, world):
    env = role_profile(aws_env, world)
    run = run_cli(env, "exec", "staging", "ops", "--", sys.executable, "-c", CALLER_ARN)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ops_arn(world, "alice-hub", "staging")
    document = run_cli(env, "credential-process", "production", "ops")
    assert document.returncode == 0, document.stderr
    found = json.loads(document.stdout)
    import boto3

    arn = boto3.client(
        "sts", endpoint_url=world.endpoint, region_name=world.region, aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"], aws_session_token=found["SessionToken"],
    ).get_caller_identity()["Arn"]
    assert arn == ops_arn(world, "alice-hub")


def test_auto_refresh_renews_through_the_role_profile_without_asking(aws_env, world, emulator):
    env = role_profile(aws_env, world)
    first = exports_of(run_cli(env, "--shell", "bash", "production", "ops").stdout)
    run = run_cli({**env, **first}, "__refresh", "--shell", "bash")
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith("assume-role: renewed production:ops (") and run.stderr.count("\n") == 1
    assert exports_of(run.stdout)["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]
    assert "GetSessionToken" not in emulator.control.calls()


# -- the pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize("arn, name", [
    ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com", "alice@example.com"),
    ("arn:aws:sts::123456789012:assumed-role/hub/botocore-session-1700000000", "botocore-session-1700000000"),
    ("arn:aws:iam::123456789012:user/team/alice", "alice"),
    ("arn:aws-us-gov:sts::123456789012:federated-user/bob", "bob"),
    ("arn:aws:iam::123456789012:root", "root"),
])
def test_the_session_is_named_after_the_identity(arn, name):
    from assume_role.signin.mfa_flow import name_in_arn

    assert name_in_arn(arn) == name
