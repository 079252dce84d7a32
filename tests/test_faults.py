"""Broken answers from AWS, at every step of the flow: one line, exit 6, no secret.

A fault proxy sits between assume-role and the emulator. The requests reach
the emulator (codes are spent, sessions issued) and the answers come back
damaged: cut short, garbled, replaced by a portal page, empty, a text 500,
late, drip-fed, or never. Whatever the damage, the user sees one line of ours
and exit 6, nothing to evaluate, and not one piece of any credential the
emulator issued, even though the damaged answers carry them.
"""

from __future__ import annotations

import socket

import pytest

from fault_proxy import FAULTS
from saml_idp import SIGN_IN, IdentityProvider
from support import assert_clean_failure, assert_no_secret, run_cli
from test_assume import exports_of
from test_saml import idp, saml_env  # noqa: F401  (fixtures)

# The request each phase of a fresh run sends; "AssumeRole+code" is the direct
# path of sessions over one hour, where AssumeRole carries the MFA code.
PHASES = {
    "GetCallerIdentity": ("GetCallerIdentity", False),
    "ListMFADevices": ("ListMFADevices", False),
    "GetSessionToken": ("GetSessionToken", True),
    "AssumeRole": ("AssumeRole", False),
    "AssumeRole+code": ("AssumeRole", True),
}
HTTP_TIMEOUT = 2  # seconds; the proxy's slow answer and drip outlast it
# Both AWS clients: the standard-library one, and botocore's (which a
# setting the other does not follow calls in).
CLIENTS = {"standard library": {}, "botocore": {"AWS_STS_REGIONAL_ENDPOINTS": "regional"}}


def faulty_env(aws_env, fault_proxy, phase):
    env = dict(aws_env, AWS_ENDPOINT_URL=fault_proxy.endpoint, ASSUME_ROLE_HTTP_TIMEOUT=str(HTTP_TIMEOUT))
    env["AWS_MAX_ATTEMPTS"] = "2"
    fault_proxy.slow_seconds = HTTP_TIMEOUT * 2
    fault_proxy.drip_interval = 1.0  # one byte a second: each read is quick, the whole never ends
    if phase == "AssumeRole+code":
        env["AWS_ROLE_SESSION_TIMEOUT"] = "7200"
    return env


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("phase", PHASES)
def test_broken_answer_is_one_line_without_secrets(phase, fault, aws_env, emulator, fault_proxy, mfa_code):
    action, carries_code = PHASES[phase]
    env = faulty_env(aws_env, fault_proxy, phase)
    fault_proxy.inject(action, fault)
    run = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert_clean_failure(run, 6)
    assert_no_secret(run.stderr, emulator.control.issued_secrets())
    assert fault_proxy.received[action] >= 1, "the fault was never reached"
    if carries_code:
        # Sent once, never again with the same code, and the user is told why.
        assert emulator.control.calls()[action] == 1
        assert "next code" in run.stderr


# The faults whose damaged answer still holds the issued credentials.
CARRYING_CREDENTIALS = ["truncated", "cut", "drip"]


@pytest.mark.parametrize("fault", CARRYING_CREDENTIALS + ["garbage", "html", "blocked", "text500"])
def test_verbose_shows_no_secret_either(fault, aws_env, emulator, fault_proxy, mfa_code):
    env = faulty_env(aws_env, fault_proxy, "GetSessionToken")
    fault_proxy.inject("GetSessionToken", fault)
    run = run_cli(env, "-v", "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 6, run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert_no_secret(run.stderr, emulator.control.issued_secrets())


@pytest.mark.parametrize("fault", ["slow", "close", "truncated"])
def test_spent_code_keeps_the_device_and_the_next_code_works(fault, aws_env, emulator, fault_proxy, mfa_code):
    env = faulty_env(aws_env, fault_proxy, "GetSessionToken")
    fault_proxy.inject("GetSessionToken", fault, count=1)
    failed = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert_clean_failure(failed, 6, "may have been used", "wait for the next code")
    assert emulator.control.calls() == {"GetCallerIdentity": 1, "ListMFADevices": 1, "GetSessionToken": 1}

    emulator.control.reset()
    again = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert again.returncode == 0, again.stderr
    # The user and device were remembered through the failure: no look-ups.
    assert emulator.control.calls() == {"GetSessionToken": 1, "AssumeRole": 1}


@pytest.mark.parametrize("fault", ["close", "text500", "slow"])
def test_requests_without_a_code_are_retried(fault, aws_env, emulator, fault_proxy, mfa_code):
    env = faulty_env(aws_env, fault_proxy, "AssumeRole")
    fault_proxy.inject("GetCallerIdentity", fault, count=1)
    fault_proxy.inject("AssumeRole", fault, count=1)
    run = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert fault_proxy.received["GetCallerIdentity"] == 2
    assert fault_proxy.received["AssumeRole"] == 2
    assert fault_proxy.received["GetSessionToken"] == 1


@pytest.mark.parametrize("fault", CARRYING_CREDENTIALS + ["html", "close"])
def test_status_check_with_a_broken_answer(fault, aws_env, emulator, fault_proxy, mfa_code):
    assumed = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    exported = exports_of(assumed.stdout)
    fault_proxy.inject("GetCallerIdentity", fault)
    run = run_cli(dict(faulty_env(aws_env, fault_proxy, "status"), **exported), "status", "--check")
    assert run.returncode == 6, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("assume-role: "), run.stderr
    assert_no_secret(run.stdout + run.stderr, emulator.control.issued_secrets())
    # A network failure says nothing about the credentials: they stay stored.
    emulator.control.reset()
    again = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert exports_of(again.stdout)["AWS_ACCESS_KEY_ID"] == exported["AWS_ACCESS_KEY_ID"]
    assert emulator.control.calls() == {}


def test_an_unknown_aws_error_is_shown_without_anything_credential_like(aws_env, emulator, mfa_code):
    key, token = "ASIAQWERTYUIOPASDFGH", "FwoGZXIvYXdzEJr//////////wEaDGk2bXlTb2tlbktleXMiLCJ="
    emulator.control.inject_fault("AssumeRole", "OddFailure", message=f"something odd about {key} and {token}")
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert_clean_failure(run, 1, "calling sts:AssumeRole (OddFailure): something odd about")
    assert key not in run.stderr and token[:24] not in run.stderr


@pytest.mark.parametrize("fault", CARRYING_CREDENTIALS + ["html", "slow", "close"])
def test_saml_broken_answer_is_one_line_sent_once(fault, saml_env, emulator, fault_proxy):
    env = faulty_env(saml_env, fault_proxy, "AssumeRoleWithSAML")
    fault_proxy.inject("AssumeRoleWithSAML", fault)
    run = run_cli(env, "--shell", "bash", "production", "read")
    assert_clean_failure(run, 6, "the SAML assertion may have been used")
    assert_no_secret(run.stderr, emulator.control.issued_secrets())
    assert fault_proxy.received["AssumeRoleWithSAML"] == 1


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "-v"])
@pytest.mark.parametrize("fault", ["html", "xhtml"])
@pytest.mark.parametrize("phase", ["GetSessionToken", "AssumeRole"])
@pytest.mark.parametrize("client", CLIENTS)
def test_a_web_page_is_named_for_what_it_is(client, phase, fault, verbose, aws_env, emulator, fault_proxy, mfa_code):
    # A captive portal's page, well-formed XML or not, is no AWS answer (and no bug of ours).
    env = dict(faulty_env(aws_env, fault_proxy, phase), **CLIENTS[client])
    fault_proxy.inject(phase, fault)
    run = run_cli(env, *(["-v"] if verbose else []), "--shell", "bash", "production", "read", mfa_code())
    if not verbose:
        assert_clean_failure(run, 6, "got a web page instead of an answer from AWS", "sign in to the network")
    assert run.returncode == 6 and run.stdout == "", run.stderr
    last = run.stderr.splitlines()[-1]
    assert last.startswith(f"assume-role: got a web page instead of an answer from AWS while calling sts:{phase}")
    assert ("next code" in last) == (phase == "GetSessionToken")
    assert "run with -v" not in run.stderr
    assert_no_secret(run.stderr, emulator.control.issued_secrets())


@pytest.mark.parametrize("client", CLIENTS)
def test_a_black_hole_fails_within_the_bound_the_message_states(client, aws_env):
    # It accepts connections (the kernel does, into the backlog) and never answers.
    with socket.create_server(("127.0.0.1", 0), backlog=64) as hole:
        port = hole.getsockname()[1]
        env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", **CLIENTS[client])
        env.update(ASSUME_ROLE_HTTP_TIMEOUT="1", AWS_MAX_ATTEMPTS="3")
        run = run_cli(env, "--shell", "bash", "production", "read", "123456")
    # Three attempts of a second each, and no wait between them: one bound of 3 s.
    assert_clean_failure(run, 6, "timed out calling sts:GetCallerIdentity: no complete answer in 3 attempts within 3s")


@pytest.mark.parametrize("client", CLIENTS)
def test_an_endpoint_whose_certificate_nobody_trusts_is_named_for_that(client, aws_env, world, tmp_path):
    # Any HTTPS server with a self-signed certificate, as a TLS-inspecting proxy
    # or a mistyped endpoint_url would present: the network is fine, the
    # certificate is not, and nothing reaches the server.
    server = IdentityProvider(world, tls=tmp_path / "tls")
    try:
        env = dict(aws_env, AWS_ENDPOINT_URL=server.url.removesuffix(SIGN_IN), **CLIENTS[client])
        run = run_cli(env, "--shell", "bash", "production", "read", "123456")
    finally:
        server.close()
    assert_clean_failure(
        run, 6, "the TLS connection to https://127.0.0.1:", "failed while calling sts:GetCallerIdentity; check its certificate"
    )
    assert server.posts == [] and server.redirected == []
