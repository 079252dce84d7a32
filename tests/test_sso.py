"""IAM Identity Center as the sign-in: one sign-in shared with the AWS CLI and botocore, both ways.

botocore is the oracle: a sign-in written by ``aws sso login`` is written
here through botocore's own cache (``JSONFileCache`` with the SSO token
provider's serialisation, under ``SSOTokenLoader``'s name for it), and a
sign-in written by assume-role must be read and renewed by botocore's
``SSOTokenProvider``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from assume_role_lab.emulator.sandbox import add_sso_profile
from support import assert_clean_failure, assert_no_secret, run_cli
from test_assume import exports_of

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def sso_env(aws_env, sso_world):
    """The sandbox with the profile ``corp`` of the sso-session ``corp`` as the bastion profile."""
    return add_sso_profile(aws_env, sso_world)


def cache_dir(env) -> Path:
    return Path(env["HOME"]) / ".aws" / "sso" / "cache"


def token_file(env, key: str = "corp") -> Path:
    return cache_dir(env) / (hashlib.sha1(key.encode()).hexdigest() + ".json")


def oidc_client(emulator):
    return boto3.session.Session(region_name="us-east-1").client(
        "sso-oidc", endpoint_url=emulator.endpoint, config=NO_RETRIES
    )


def cli_login(emulator, sso_world, env, *, key: str = "corp", scopes=("sso:account:access",),
              user: str | None = None) -> dict:
    """What ``aws sso login`` does: the device flow, approved, and the token in botocore's cache."""
    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache, SSOTokenLoader

    oidc = oidc_client(emulator)
    client = oidc.register_client(clientName="botocore-client-corp", clientType="public", scopes=list(scopes))
    device = oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl=sso_world.start_url
    )
    emulator.control.sso_approve(device["userCode"], user or sso_world.user)
    issued = oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                               grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
    now = datetime.now(timezone.utc)
    token = {
        "startUrl": sso_world.start_url, "region": sso_world.region, "accessToken": issued["accessToken"],
        "expiresAt": now + timedelta(seconds=issued["expiresIn"]),
        "clientId": client["clientId"], "clientSecret": client["clientSecret"],
        "registrationExpiresAt": datetime.fromtimestamp(client["clientSecretExpiresAt"], timezone.utc),
    }
    if "refreshToken" in issued:
        token["refreshToken"] = issued["refreshToken"]
    cache = JSONFileCache(str(cache_dir(env)), dumps_func=_sso_json_dumps)
    SSOTokenLoader(cache=cache).save_token(sso_world.start_url, token, session_name=key)
    emulator.control.reset()  # counters: what follows is the tool's
    return token


def botocore_session(env):
    """A botocore session reading the sandbox's files, as an SDK in that shell would."""
    import botocore.session

    session = botocore.session.Session()
    session.set_config_variable("config_file", env["AWS_CONFIG_FILE"])
    session.set_config_variable("credentials_file", env["AWS_SHARED_CREDENTIALS_FILE"])
    return session


def caller_arn(endpoint: str, exports: dict) -> str:
    sts = boto3.session.Session(
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"], aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=exports["AWS_SESSION_TOKEN"], region_name="us-east-1",
    ).client("sts", endpoint_url=endpoint)
    return sts.get_caller_identity()["Arn"]


# -- a sign-in made by the AWS CLI --------------------------------------------------


def test_a_valid_sign_in_of_the_aws_cli_is_used_without_asking(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "--shell", "bash", "production", "AdministratorAccess")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert emulator.control.calls() == {"GetRoleCredentials": 1}
    exports = exports_of(run.stdout)
    assert exports["AWS_ACCOUNT_NAME"] == "production" and exports["AWS_ACCOUNT_ROLE"] == "AdministratorAccess"
    arn = caller_arn(emulator.endpoint, exports)
    assert arn.startswith("arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_AdministratorAccess_")
    assert arn.endswith("/" + sso_world.user)


def test_switching_back_uses_the_stored_role_credentials(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    for role in ("ReadOnlyAccess", "AdministratorAccess", "ReadOnlyAccess"):
        run = run_cli(sso_env, "--shell", "bash", "production", role)
        assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"GetRoleCredentials": 2}


def test_the_role_arguments_take_a_region_and_no_mfa_code(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "--shell", "bash", "staging", "ReadOnlyAccess", "eu-west-1")
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_REGION"] == "eu-west-1"
    code = run_cli(sso_env, "--shell", "bash", "staging", "ReadOnlyAccess", "123456")
    assert_clean_failure(code, 2, "no MFA code is used")


def test_a_legacy_profile_uses_the_start_url_s_sign_in(emulator, sso_world, aws_env):
    env = add_sso_profile(aws_env, sso_world, profile="legacy", session=None)
    cli_login(emulator, sso_world, env, key=sso_world.start_url, scopes=())
    run = run_cli(env, "--shell", "bash", "staging", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"GetRoleCredentials": 1}


def test_an_unassigned_permission_set_is_refused_by_aws(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "--shell", "bash", "staging", "AdministratorAccess")
    assert_clean_failure(run, 5, "AdministratorAccess", "staging (222222222222)")


def test_an_ended_sign_in_without_a_terminal_says_how_to_sign_in(emulator, sso_world, sso_env):
    run = run_cli(sso_env, "--shell", "bash", "production", "AdministratorAccess")
    assert_clean_failure(run, 3, "run assume-role (or aws sso login) in a terminal")
    assert emulator.control.calls() == {}


def test_a_sign_in_the_portal_refuses_is_renewed_with_its_refresh_token(emulator, sso_world, sso_env):
    before = cli_login(emulator, sso_world, sso_env)
    emulator.control.sso_expire("tokens")  # ended early at AWS; the file still says it is valid
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    calls = emulator.control.calls()
    assert calls == {"GetRoleCredentials": 2, "CreateToken": 1}
    renewed = json.loads(token_file(sso_env).read_text())
    assert renewed["accessToken"] != before["accessToken"]
    assert renewed["refreshToken"] != before["refreshToken"]


def test_a_sign_in_for_another_start_url_is_not_used(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    data = json.loads(token_file(sso_env).read_text())
    data["startUrl"] = "https://d-0000000000.awsapps.com/start"
    token_file(sso_env).write_text(json.dumps(data))
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert_clean_failure(run, 3, "in a terminal")


@pytest.mark.parametrize("damage", ["readable", "link", "garbage", "no-token", "huge"])
def test_a_token_file_that_is_not_sound_is_not_used(damage, emulator, sso_world, sso_env, tmp_path):
    cli_login(emulator, sso_world, sso_env)
    path = token_file(sso_env)
    if damage == "readable":
        path.chmod(0o644)
    elif damage == "link":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(path.read_bytes())
        target.chmod(0o600)
        path.unlink()
        path.symlink_to(target)
    elif damage == "garbage":
        path.write_text("{\"accessToken\": [1, 2]")
    elif damage == "no-token":
        path.write_text(json.dumps({"startUrl": sso_world.start_url, "expiresAt": "2999-01-01T00:00:00Z"}))
    else:
        path.write_text(" " * (100 * 1024) + "{}")
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 3, run.stderr
    assert run.stdout == ""
    warning, error = run.stderr.splitlines()
    assert warning.startswith("assume-role: warning: ignoring the IAM Identity Center sign-in")
    assert "in a terminal" in error
    assert emulator.control.calls() == {}


# -- a sign-in made here, read by botocore ----------------------------------------------


def test_botocore_reads_and_renews_the_sign_in_written_here(emulator, sso_world, sso_env, monkeypatch):
    from botocore.tokens import SSOTokenProvider, _sso_json_dumps
    from botocore.utils import JSONFileCache

    # A sign-in 10 minutes from its end: botocore renews it (its window is 15).
    emulator.control.sso_settings(token_seconds=600)
    try:
        cli_login(emulator, sso_world, sso_env)
        emulator.control.sso_expire("tokens")
        run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")  # renews it here
    finally:
        emulator.control.sso_settings(token_seconds=8 * 3600)
    assert run.returncode == 0, run.stderr
    written = json.loads(token_file(sso_env).read_text())
    assert set(written) == {"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                            "registrationExpiresAt", "refreshToken"}
    assert written["expiresAt"].endswith("Z")
    session = botocore_session(sso_env)
    session.set_config_variable("profile", "corp")
    provider = SSOTokenProvider(session, cache=JSONFileCache(str(cache_dir(sso_env)), dumps_func=_sso_json_dumps))
    emulator.control.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)  # botocore's own renewal goes to the emulator
    frozen = provider.load_token().get_frozen_token()
    assert emulator.control.calls() == {"CreateToken": 1}, "botocore renewed it with the refresh token written here"
    renewed = json.loads(token_file(sso_env).read_text())
    assert frozen.token == renewed["accessToken"] != written["accessToken"]
    # ... and the sign-in botocore renewed is the one assume-role uses next.
    run = run_cli(sso_env, "--shell", "bash", "--refresh", "production", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"CreateToken": 1, "GetRoleCredentials": 1}


def test_the_file_written_here_is_private_and_alone(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    emulator.control.sso_expire("tokens")
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    (path,) = cache_dir(sso_env).iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path == token_file(sso_env)


def test_boto3_and_the_aws_cli_with_an_sso_profile_are_the_same_identity(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "\n[profile prod-admin]\nsso_session = corp\n"
                      "sso_account_id = 111111111111\nsso_role_name = AdministratorAccess\nregion = us-east-1\n")
    run = run_cli(sso_env, "--shell", "bash", "production", "AdministratorAccess")
    shell_arn = caller_arn(emulator.endpoint, exports_of(run.stdout))
    script = "import boto3; print(boto3.Session(profile_name='prod-admin').client('sts').get_caller_identity()['Arn'])"
    env = {k: v for k, v in sso_env.items() if k != "AWS_PROFILE_ASSUME_ROLE"}
    sdk = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == shell_arn
    aws = Path(sys.executable).with_name("aws")
    cli = subprocess.run([str(aws), "sts", "get-caller-identity", "--profile", "prod-admin", "--output", "text",
                          "--query", "Arn"], env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == shell_arn


def test_no_token_reaches_the_output_even_verbose(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    emulator.control.sso_expire("tokens")
    run = run_cli(sso_env, "-v", "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    assert_no_secret(run.stderr, emulator.control.issued_secrets())


# -- status, accounts list and logout --------------------------------------------------


def test_status_names_the_sign_in_and_how_long_it_lasts(emulator, sso_world, sso_env):
    none = run_cli(sso_env, "status")
    assert "sign-in:      none for IAM Identity Center (corp) (the next assume-role signs in on the terminal)" \
        in none.stdout
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    env = dict(sso_env, **exports_of(run.stdout))
    status = run_cli(env, "status", "--check")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == "production:ReadOnlyAccess (111111111111) in us-east-1"
    assert lines[1] == "identity:     the permission set ReadOnlyAccess of IAM Identity Center (corp)"
    assert re.fullmatch(r"sign-in:      IAM Identity Center \(corp\), \d+h\d\dm left \(until .+\), shared with the AWS CLI",
                        lines[3]), lines[3]
    assert lines[4].startswith("aws says:     arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ReadOnlyAccess_")
    from test_json_output import check

    data = check(run_cli(env, "status", "--json").stdout, "assume-role status --json")
    assert data["sso"]["session"] == "corp" and data["sso"]["valid"] and data["sso"]["renewable"]
    assert data["sso"]["seconds_left"] > 0


def test_logout_forgets_the_sessions_and_signs_out_for_the_aws_cli_too(emulator, sso_world, sso_env):
    token = cli_login(emulator, sso_world, sso_env)
    assert run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess").returncode == 0
    listed = json.loads(run_cli(sso_env, "accounts", "list", "--json").stdout)
    (production,) = [row for row in listed["accounts"] if row["alias"] == "production"]
    assert [s["role"] for s in production["sessions"]] == ["ReadOnlyAccess"]
    out = run_cli(sso_env, "logout")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["removed 1 stored session for profile sso:corp",
                                       "signed out of IAM Identity Center (corp), for the AWS CLI too"]
    assert not token_file(sso_env).exists()
    assert emulator.control.calls()["Logout"] == 1
    portal = boto3.session.Session(region_name="us-east-1").client("sso", endpoint_url=emulator.endpoint)
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.list_accounts(accessToken=token["accessToken"])


def test_credential_process_serves_an_sdk_from_the_shared_sign_in(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "credential-process", "staging", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["Version"] == 1 and answer["AccessKeyId"].startswith("ASIA")
    arn = caller_arn(emulator.endpoint, {"AWS_ACCESS_KEY_ID": answer["AccessKeyId"],
                                         "AWS_SECRET_ACCESS_KEY": answer["SecretAccessKey"],
                                         "AWS_SESSION_TOKEN": answer["SessionToken"]})
    assert arn.startswith("arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_ReadOnlyAccess_")


def test_the_auto_refresh_renews_with_the_refresh_token_and_never_asks(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    env = dict(sso_env, **exports_of(run.stdout))
    emulator.control.sso_expire("tokens")
    renewed = run_cli(env, "__refresh", "--shell", "bash")
    assert renewed.returncode == 0, renewed.stderr
    assert renewed.stderr.startswith("assume-role: renewed production:ReadOnlyAccess (")
    # A sign-in that cannot be renewed: one line saying what to run, nothing asked.
    token_file(sso_env).unlink()
    ended = run_cli(env, "__refresh", "--shell", "bash")
    assert_clean_failure(ended, 3, "and the IAM Identity Center sign-in has ended: "
                                   "run `assume-role production ReadOnlyAccess` to renew it")


# -- named by the accounts file ---------------------------------------------------------


def accounts_named(env, setting, extra: int = 0) -> dict:
    """The sandbox without AWS_PROFILE_ASSUME_ROLE, its accounts file naming the sign-in."""
    env = {k: v for k, v in env.items() if k != "AWS_PROFILE_ASSUME_ROLE"}
    path = Path(env["ASSUME_ROLE_ACCOUNTS_FILE"])
    table = {**json.loads(path.read_text()), "#sso": setting}
    table.update({f"team-{n:05d}": f"{300000000000 + n:012d}" for n in range(extra)})
    path.write_text(json.dumps(table))
    old = path.stat().st_mtime - 60  # a file just written is not indexed
    os.utime(path, (old, old))
    return env


@pytest.mark.parametrize("size", ["small", "indexed"])
def test_the_accounts_file_can_name_the_sso_session(size, emulator, sso_world, sso_env):
    from assume_role.accounts import index

    env = accounts_named(sso_env, {"sso_session": "corp"}, extra=20000 if size == "indexed" else 0)
    assert (Path(env["ASSUME_ROLE_ACCOUNTS_FILE"]).stat().st_size > index.INDEX_THRESHOLD) == (size == "indexed")
    cli_login(emulator, sso_world, env)
    for _ in range(2):  # the second run reads the setting from the index
        run = run_cli(env, "--shell", "bash", "--refresh", "production", "ReadOnlyAccess")
        assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"GetRoleCredentials": 2}
    if size == "indexed":
        assert list(Path(env["XDG_CACHE_HOME"], "assume-role").glob("accounts-*.idx"))


def test_a_named_bastion_profile_wins_over_the_accounts_file(emulator, sso_world, sso_env, mfa_code):
    env = dict(accounts_named(sso_env, {"profile": "corp"}), AWS_PROFILE_ASSUME_ROLE="default")
    run = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls().get("GetSessionToken") == 1


@pytest.mark.parametrize("setting", [{"sso_session": "nope"}, {"profile": "default"}, "corp", {"a": "b"}])
def test_a_wrong_accounts_file_setting_is_a_usage_error(setting, sso_env):
    run = run_cli(accounts_named(sso_env, setting), "--shell", "bash", "production", "ReadOnlyAccess")
    assert_clean_failure(run, 2, '"#sso" in the accounts file')
