"""The hot path's own AWS client: signatures, profile reading, and the wire rules.

botocore is the oracle: the signatures must be the ones botocore computes for
the same request, and a profile is read without botocore only when botocore
would read the same keys from it.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timezone
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from assume_role.aws import profiles
from assume_role.aws import query as query_api
from assume_role.aws import retry
from assume_role.aws import sigv4
from assume_role_lab.emulator.sandbox import write_sandbox
from support import assert_clean_failure, run_cli
from test_failures import CASES

NOW = datetime(2026, 11, 25, 10, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE+/token=="])
@pytest.mark.parametrize(
    "url, region",
    [
        ("https://sts.eu-west-3.amazonaws.com", "eu-west-3"),
        ("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("https://sts.us-gov-west-1.amazonaws.com/", "us-gov-west-1"),
        ("http://127.0.0.1:5000/", "us-east-1"),
        ("https://proxy.example.com:8443/aws/sts", "ap-south-2"),
        # A default port written out is left out of the signed Host, any
        # other port is kept; a host name is signed in lower case.
        ("https://sts.eu-west-3.amazonaws.com:443/", "eu-west-3"),
        ("http://127.0.0.1:80/", "us-east-1"),
        ("http://sts.example.com:443/", "us-east-1"),
        ("https://sts.example.com:80/", "us-east-1"),
        ("https://STS.Eu-West-1.AmazonAWS.com:443", "eu-west-1"),
        ("https://[::1]:443/", "us-east-1"),
        ("https://[::1]:4443/", "us-east-1"),
    ],
)
@pytest.mark.parametrize(
    "params",
    [
        {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::123456789012:role/team/déploy",
            "RoleSessionName": "ålice+x=y,z@example.com",
            "ExternalId": "a b&c=d/é~",
            "Tags.member.1.Key": "team",
            "Tags.member.1.Value": "платформа",
        },
    ],
    ids=["no parameters", "non-ASCII parameters"],
)
def test_signature_matches_botocore(url, region, token, params):
    body = sigv4.form_body(params)
    ours = sigv4.sign_post(
        url, body, access_key_id="AKIAEXAMPLE", secret_access_key="wJalr/K7MDENG+bPx", session_token=token,
        region=region, service="sts", now=NOW,
    )
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": ours["Content-Type"]})
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        SigV4Auth(BotoCredentials("AKIAEXAMPLE", "wJalr/K7MDENG+bPx", token), "sts", region).add_auth(request)
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"]


def test_form_body_matches_botocore_serialiser():
    from botocore.utils import percent_encode_sequence

    params = {"Action": "AssumeRole", "RoleSessionName": "a b+c~d/é", "Tags.member.1.Key": "k=v&w"}
    assert sigv4.form_body(params).decode() == percent_encode_sequence(params)


# Each layout: (credentials file, config file, profile). The verdict of
# plain_profile must agree with what botocore resolves.
LAYOUTS = {
    "keys in credentials": ("[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n", "", "default"),
    "keys in config": ("", "[profile bastion]\naws_access_key_id = AKIA2\naws_secret_access_key = s2\n", "bastion"),
    "credentials win over config": (
        "[bastion]\naws_access_key_id = AKIA3\naws_secret_access_key = s3\n",
        "[profile bastion]\naws_access_key_id = AKIAX\naws_secret_access_key = sx\nregion = eu-west-1\n",
        "bastion",
    ),
    "session token": (
        "[default]\naws_access_key_id = ASIA4\naws_secret_access_key = s4\naws_session_token = t4\n", "", "default"
    ),
    "spaced profile name": ("", '[profile "my bastion"]\naws_access_key_id = AKIA5\naws_secret_access_key = s5\n',
                            "my bastion"),
    "comments and blank lines": (
        "# keys\n[default]\n; the user\naws_access_key_id = AKIA6\n\naws_secret_access_key = s6  \n", "", "default"
    ),
    "custom endpoint": ("[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n",
                        "[default]\nendpoint_url = https://sts.internal.example\n", "default"),
    "services section": (
        "[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n",
        "[default]\nservices = corp\n[services corp]\nsts =\n  endpoint_url = https://sts.internal.example\n",
        "default",
    ),
}
NOT_PLAIN = {
    "credential_process": ("", "[default]\ncredential_process = /bin/false\n", "default"),
    "role profile": ("[base]\naws_access_key_id = AKIA7\naws_secret_access_key = s7\n",
                     "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n", "r"),
    "sso": ("", "[profile s]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n", "s"),
    "half the keys in credentials": (
        "[default]\naws_access_key_id = AKIA8\n", "[default]\naws_secret_access_key = s8\n", "default"
    ),
    "missing services section": ("[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n",
                                 "[default]\nservices = nope\n", "default"),
    "services entry not a block": ("[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n",
                                   "[default]\nservices = corp\n[services corp]\nsts = https://x.example\n", "default"),
    "fips endpoint": ("[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n",
                      "[default]\nuse_fips_endpoint = true\n", "default"),
    "missing profile": ("[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n", "", "other"),
    "broken file": ("[default\naws_access_key_id = AKIA1\n", "", "default"),
}


ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)


def _write_layout(tmp_path, monkeypatch, layout):
    credentials, config, profile = layout
    (tmp_path / "credentials").write_text(credentials)
    (tmp_path / "config").write_text(config)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 *profiles._NOT_PLAIN_ENVIRONMENT, *ENDPOINT_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    return profile


@pytest.mark.parametrize("layout", LAYOUTS)
def test_plain_profile_reads_what_botocore_reads(layout, tmp_path, monkeypatch):
    import botocore.session

    profile = _write_layout(tmp_path, monkeypatch, LAYOUTS[layout])
    plain = profiles.plain_profile(profile)
    session = botocore.session.Session(profile=profile)
    expected = session.get_credentials().get_frozen_credentials()
    assert plain is not None
    assert (plain.access_key_id, plain.secret_access_key, plain.session_token) == (
        expected.access_key, expected.secret_key, expected.token
    )
    assert plain.settings == session.get_scoped_config()


@pytest.mark.parametrize("layout", NOT_PLAIN)
def test_other_profiles_are_left_to_botocore(layout, tmp_path, monkeypatch):
    profile = _write_layout(tmp_path, monkeypatch, NOT_PLAIN[layout])
    assert profiles.plain_profile(profile) is None


def test_proxy_settings_are_left_to_botocore(tmp_path, monkeypatch):
    profile = _write_layout(tmp_path, monkeypatch, LAYOUTS["keys in credentials"])
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert profiles.plain_profile(profile) is None


@pytest.mark.parametrize(
    "region, url, signing",
    [
        ("eu-west-3", "https://sts.eu-west-3.amazonaws.com", "eu-west-3"),
        ("cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"),
        ("us-gov-east-1", "https://sts.us-gov-east-1.amazonaws.com", "us-gov-east-1"),
    ],
)
def test_sts_endpoint_matches_botocore(region, url, signing, monkeypatch):
    import botocore.session

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_STS_REGIONAL_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    client = botocore.session.Session().create_client(
        "sts", region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert query_api.endpoint("sts", region) == (url, signing)
    assert client.meta.endpoint_url == url


KEYS = "[default]\naws_access_key_id = AKIA9\naws_secret_access_key = s9\n"
SERVICES = (
    "[services corp]\nsts =\n  endpoint_url = https://services-sts.example\n"
    "iam =\n  endpoint_url = https://services-iam.example\n"
)
# Where an endpoint is configured: (the default profile's lines, more config sections, environment).
CONFIGURED_ENDPOINTS = {
    "profile": ("endpoint_url = https://profile.example\n", "", {}),
    "services section": ("services = corp\n", SERVICES, {}),
    "services section over profile": ("services = corp\nendpoint_url = https://profile.example\n", SERVICES, {}),
    "services section for another service": (
        "services = corp\nendpoint_url = https://profile.example\n",
        "[services corp]\ns3 =\n  endpoint_url = https://s3.example\n", {},
    ),
    "generic variable over services section": (
        "services = corp\n", SERVICES, {"AWS_ENDPOINT_URL": "https://env.example"}
    ),
    "service variable over generic": (
        "endpoint_url = https://profile.example\n", "",
        {"AWS_ENDPOINT_URL": "https://env.example", "AWS_ENDPOINT_URL_STS": "https://env-sts.example",
         "AWS_ENDPOINT_URL_IAM": "https://env-iam.example"},
    ),
    "empty service variable": ("", "", {"AWS_ENDPOINT_URL_STS": "", "AWS_ENDPOINT_URL": "https://env.example"}),
    "profile ignores them": (
        "ignore_configured_endpoint_urls = true\nendpoint_url = https://profile.example\n", "",
        {"AWS_ENDPOINT_URL": "https://env.example"},
    ),
    "variable ignores them": (
        "services = corp\n", SERVICES, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE", "AWS_ENDPOINT_URL": "https://e"}
    ),
    "empty variable overrides the profile's ignore": (
        "ignore_configured_endpoint_urls = true\nendpoint_url = https://profile.example\n", "",
        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": ""},
    ),
}


@pytest.mark.parametrize("service", ["sts", "iam"])
@pytest.mark.parametrize("case", CONFIGURED_ENDPOINTS)
def test_configured_endpoint_matches_botocore(case, service, tmp_path, monkeypatch):
    import botocore.session

    lines, sections, environment = CONFIGURED_ENDPOINTS[case]
    profile = _write_layout(tmp_path, monkeypatch, (KEYS, "[default]\n" + lines + sections, "default"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    plain = profiles.plain_profile(profile)
    assert plain is not None, "the standard-library client serves this profile"
    client = botocore.session.Session(profile=profile).create_client(
        service, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert query_api.endpoint(service, "eu-west-1", plain.settings, plain.services)[0] == client.meta.endpoint_url


# The emulator named in each place botocore looks, instead of the sandbox's AWS_ENDPOINT_URL.
ENDPOINT_PLACES = {
    "profile": lambda url: ("endpoint_url = {url}\n", {}),
    "services section": lambda url: (
        "services = local\n[services local]\nsts =\n  endpoint_url = {url}\niam =\n  endpoint_url = {url}\n", {}
    ),
    "service variables": lambda url: ("", {"AWS_ENDPOINT_URL_STS": url, "AWS_ENDPOINT_URL_IAM": url}),
}


@pytest.mark.parametrize("place", ENDPOINT_PLACES)
def test_a_configured_endpoint_keeps_the_standard_library_client(place, aws_env, emulator, mfa_code):
    from test_imports import probe

    env = dict(aws_env)
    url = env.pop("AWS_ENDPOINT_URL")
    lines, variables = ENDPOINT_PLACES[place](url)
    with open(env["AWS_CONFIG_FILE"], "a") as f:  # [default] is its last section
        f.write(lines.format(url=url))
    env.update(variables)
    stdout, loaded = probe(env, "--shell", "bash", "production", "read", mfa_code())
    assert loaded == set()
    assert "export AWS_ACCESS_KEY_ID=" in stdout
    # The whole flow reached the emulator there: no AWS call went anywhere else.
    assert emulator.control.calls() == {"GetCallerIdentity": 1, "ListMFADevices": 1, "GetSessionToken": 1, "AssumeRole": 1}


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://[::1"])
def test_an_endpoint_that_is_no_url_is_one_line(url, aws_env):
    env = dict(aws_env)
    del env["AWS_ENDPOINT_URL"]
    with open(env["AWS_CONFIG_FILE"], "a") as f:
        f.write(f"endpoint_url = {url}\n")
    assert_clean_failure(run_cli(env, "--shell", "bash", "production", "read", "123456"), 2, "not a valid URL")


@pytest.mark.parametrize("region", ["us-east-1", "cn-north-1", "us-gov-west-1"])
def test_iam_endpoint_matches_botocore(region, monkeypatch):
    import botocore.session

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    client = botocore.session.Session().create_client(
        "iam", region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
    )
    url, signing = query_api.endpoint("iam", region)
    assert url == client.meta.endpoint_url
    assert signing == client.meta.config.region_name or signing == client._request_signer._region_name


def test_botocore_bastion_passes_the_failure_matrix(tmp_path, world, emulator, mfa_code):
    """The same failures, with a bastion that the standard-library path leaves to botocore."""
    for case, make in CASES.items():
        emulator.control.reset()
        env = write_sandbox(tmp_path / case, world, endpoint=emulator.endpoint)
        env["AWS_STS_REGIONAL_ENDPOINTS"] = "regional"
        args, exit_code, fragment = make(env, world, emulator, mfa_code)
        assert_clean_failure(run_cli(env, "--shell", "bash", *args), exit_code, fragment)
        for _ in range(100):  # delayed requests still in the emulator would count in the next case
            if not emulator.control.faults():
                break
            emulator.control.reset()
            time.sleep(0.05)


def test_code_is_sent_once_when_no_answer_comes(aws_env, emulator, mfa_code):
    emulator.control.delay("GetSessionToken", 2.5, count=5)
    env = dict(aws_env, ASSUME_ROLE_HTTP_TIMEOUT="1", AWS_MAX_ATTEMPTS="3")
    result = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    # One attempt: a code is never sent twice, so its bound is one timeout.
    assert_clean_failure(result, 6, "no complete answer within 1s", "wait for the next code")
    # The delay fault counts the requests that arrived: one of its five was used.
    assert [fault["remaining"] for fault in emulator.control.faults()] == [4]
    for _ in range(200):  # let the delayed answer finish before the next test
        if emulator.control.calls().get("GetSessionToken"):
            break
        time.sleep(0.05)


def test_requests_without_a_code_are_retried(aws_env, emulator, mfa_code):
    emulator.control.inject_fault("GetCallerIdentity", "ServiceUnavailable", count=2, status=503)
    result = run_cli(dict(aws_env, AWS_MAX_ATTEMPTS="3"), "--shell", "bash", "production", "read", mfa_code())
    assert result.returncode == 0, result.stderr
    assert emulator.control.calls().get("GetCallerIdentity") == 3


def test_a_refusal_whose_next_wait_would_outlast_the_bound_is_reported_at_once(aws_env, emulator, mfa_code):
    # Ten attempts of one second at most: the waits between them (up to 1, 2,
    # 4, 8, 16, then 20 s) use up those ten seconds long before the tenth. No
    # attempt is started that could not finish in time: the user gets AWS's
    # refusal, not a timeout of an attempt that had no time left.
    emulator.control.inject_fault("GetCallerIdentity", "ServiceUnavailable", count=100, status=503)
    env = dict(aws_env, AWS_MAX_ATTEMPTS="10", ASSUME_ROLE_HTTP_TIMEOUT="1")
    result = run_cli(env, "--shell", "bash", "production", "read", mfa_code())
    assert_clean_failure(result, 6, "AWS failed while calling sts:GetCallerIdentity (HTTP 503); try again later")


@pytest.mark.parametrize("failures, longest", [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 20), (12, 20)])
def test_waits_between_attempts_back_off_with_full_jitter_up_to_twenty_seconds(failures, longest):
    # After the n-th quick refusal (throttling, a 5xx) the wait is drawn from
    # 0 to 2**(n-1) seconds: clients refused together spread out, and a long
    # outage is never waited out for minutes. Durations drawn, not measured.
    waits = [retry.backoff(failures) for _ in range(2000)]
    assert all(0 <= wait <= longest for wait in waits)
    assert max(waits) > 0.9 * longest and min(waits) < 0.1 * longest


class CannedServer:
    """A loopback HTTP server that answers every request with the same bytes, at a chosen pace."""

    def __init__(self, answer: bytes, pace: float = 0.0):
        self.answer, self.pace = answer, pace
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection):
        with connection:
            try:
                connection.recv(65536)
                if self.pace:
                    for byte in self.answer:
                        if self.stopped.is_set():
                            return
                        connection.sendall(bytes([byte]))
                        time.sleep(self.pace)
                else:
                    connection.sendall(self.answer)
            except OSError:
                pass

    def close(self):
        self.stopped.set()
        self.sock.close()


def _http(status: str, body: bytes, content_type: str = "text/xml") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLESECRET"
GARBLED = {
    "portal page": _http("200 OK", f"<html><body>Sign in {SECRET}</body></html>".encode(), "text/html"),
    "empty 200": _http("200 OK", b""),
    "garbage": _http("200 OK", b"\x00\xff" + SECRET.encode()),
    "text 500": _http("500 Internal Server Error", f"oops {SECRET}".encode(), "text/plain"),
    "cut short": _http("200 OK", (
        "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/a</Arn>"
        f"<Secret>{SECRET}</Secret>"
    ).encode()),
    # An error document of another shape (S3's) from a failing endpoint: the status decides.
    "xml 503": _http("503 Service Unavailable", f"<Error><Code>SlowDown</Code><Message>{SECRET}</Message></Error>".encode()),
    # The answer to another call (a confused cache or proxy), even one holding the fields asked for.
    "another call's answer": _http("200 OK", (
        "<AssumeRoleResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn>"
        f"<UserId>{SECRET}</UserId></GetCallerIdentityResult></AssumeRoleResponse>"
    ).encode()),
    # Well-formed, from AWS by its look, without what the call returns.
    "no arn": _http("200 OK", (
        "<GetCallerIdentityResponse><GetCallerIdentityResult>"
        f"<UserId>{SECRET}</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>"
    ).encode()),
}


@pytest.mark.parametrize("answer", GARBLED)
def test_garbled_answers_are_one_line_without_the_body(answer, aws_env):
    server = CannedServer(GARBLED[answer])
    try:
        env = dict(aws_env, AWS_ENDPOINT_URL=server.url, AWS_MAX_ATTEMPTS="2")
        result = run_cli(env, "--shell", "bash", "production", "read", "123456")
    finally:
        server.close()
    said = {"text 500": "HTTP 500", "xml 503": "HTTP 503", "portal page": "web page instead of an answer from AWS",
            "another call's answer": "could not be read while calling sts:GetCallerIdentity"}
    assert_clean_failure(result, 6, said.get(answer, "could not be read"))
    assert SECRET not in result.stderr


def test_a_trickling_answer_is_cut_off(aws_env):
    server = CannedServer(_http("200 OK", b"<x>" + b" " * 200 + b"</x>"), pace=0.2)
    try:
        env = dict(aws_env, AWS_ENDPOINT_URL=server.url, AWS_MAX_ATTEMPTS="1", ASSUME_ROLE_HTTP_TIMEOUT="1")
        result = run_cli(env, "--shell", "bash", "production", "read", "123456", timeout=30)
    finally:
        server.close()
    assert_clean_failure(result, 6, "timed out")
