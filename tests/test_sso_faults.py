"""Broken answers from IAM Identity Center's portal and OIDC endpoints: one line, the right code, no secret.

The fault proxy stands between assume-role and the emulator's portal
(``AWS_ENDPOINT_URL_SSO``) or OIDC (``AWS_ENDPOINT_URL_SSO_OIDC``): the
requests arrive (credentials are minted, refresh tokens spent) and the
answers come back damaged.
"""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from fault_proxy import FAULTS
from support import assert_clean_failure, assert_no_secret, run_cli
from test_sso import cli_login, token_file
from test_sso_login import CODE, finished

HTTP_TIMEOUT = 2  # seconds; the proxy's slow answer and drip outlast it


@pytest.fixture
def sso_env(aws_env, sso_world):
    from assume_role_lab.emulator.sandbox import add_sso_profile

    return add_sso_profile(aws_env, sso_world)


def faulty(env, fault_proxy, variable: str) -> dict:
    fault_proxy.slow_seconds = HTTP_TIMEOUT * 2
    fault_proxy.drip_interval = 1.0
    return dict(env, **{variable: fault_proxy.endpoint}, ASSUME_ROLE_HTTP_TIMEOUT=str(HTTP_TIMEOUT),
                AWS_MAX_ATTEMPTS="2")


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_role_credentials_answer(fault, emulator, sso_world, sso_env, fault_proxy):
    cli_login(emulator, sso_world, sso_env)
    env = faulty(sso_env, fault_proxy, "AWS_ENDPOINT_URL_SSO")
    fault_proxy.inject("GetRoleCredentials", fault)
    run = run_cli(env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert_clean_failure(run, 6, "IAM Identity Center")
    assert_no_secret(run.stderr, emulator.control.issued_secrets())
    assert fault_proxy.received["GetRoleCredentials"] >= 1


@pytest.mark.parametrize("fault", FAULTS)
def test_a_broken_answer_to_the_refresh_token(fault, emulator, sso_world, sso_env, fault_proxy):
    cli_login(emulator, sso_world, sso_env)
    path = token_file(sso_env)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "expiresAt": "2000-01-01T00:00:00Z"}))
    env = faulty(sso_env, fault_proxy, "AWS_ENDPOINT_URL_SSO_OIDC")
    fault_proxy.inject("CreateToken", fault)
    run = run_cli(env, "-v", "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 6, run.stderr
    assert run.stdout == ""
    last = run.stderr.splitlines()[-1]
    assert last.startswith("assume-role: ") and "IAM Identity Center" in last
    assert "Traceback" not in run.stderr
    assert_no_secret(run.stderr, emulator.control.issued_secrets())
    if fault in ("slow", "close", "cut", "truncated", "drip"):
        # The refresh token may have been spent on arrival: never sent twice.
        assert emulator.control.calls()["CreateToken"] == 1
        assert "refresh token may have been used" in last
    assert json.loads(path.read_text())["expiresAt"] == "2000-01-01T00:00:00Z", "the sign-in was left as it was"


@pytest.mark.parametrize("fault", ["html", "garbage", "blocked", "empty"])
def test_a_broken_device_authorization_answer(fault, emulator, sso_env, fault_proxy):
    env = faulty(sso_env, fault_proxy, "AWS_ENDPOINT_URL_SSO_OIDC")
    fault_proxy.inject("StartDeviceAuthorization", fault)
    child = pexpect.spawn(sys.executable, ["-m", "assume_role", "--shell", "bash", "production", "ReadOnlyAccess"],
                          env=env, encoding="utf-8", timeout=60)
    assert finished(child) == 6
    (line,) = child.before.strip().splitlines()
    assert line.startswith("assume-role: ") and "StartDeviceAuthorization" in line
    assert not CODE.search(child.before)
    assert_no_secret(child.before, emulator.control.issued_secrets())


def test_a_throttled_portal_is_retried(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    emulator.control.inject_fault("GetRoleCredentials", "TooManyRequestsException", status=429)
    run = run_cli(sso_env, "--shell", "bash", "production", "ReadOnlyAccess")
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls() == {"GetRoleCredentials": 2}
    emulator.control.inject_fault("GetRoleCredentials", "TooManyRequestsException", status=429, count=5)
    again = run_cli(dict(sso_env, AWS_MAX_ATTEMPTS="2"), "--shell", "bash", "--refresh", "production",
                    "ReadOnlyAccess")
    assert_clean_failure(again, 6, "throttled")
