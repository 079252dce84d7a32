"""``assume-role console``: a sign-in URL from the (emulated) federation endpoint, no second MFA code."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from support import assert_clean_failure, run_cli
from test_assume import exports_of

OTHER_UID = 65534


def federation(emulator) -> str:
    return f"{emulator.endpoint}/federation"


def fetch(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signin_token(emulator, credentials: dict) -> tuple[int, dict]:
    session = json.dumps({"sessionId": credentials["AWS_ACCESS_KEY_ID"],
                          "sessionKey": credentials["AWS_SECRET_ACCESS_KEY"],
                          "sessionToken": credentials["AWS_SESSION_TOKEN"]})
    return fetch(f"{federation(emulator)}?" + urlencode({"Action": "getSigninToken", "Session": session}))


@pytest.fixture
def console_env(aws_env, emulator):
    env = {**aws_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": federation(emulator)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_print_gives_a_sign_in_url_without_a_second_code(console_env, emulator, world, mfa_code):
    assumed = run_cli(console_env, "--shell", "bash", "production", "read", mfa_code())
    assert assumed.returncode == 0, assumed.stderr

    run = run_cli(console_env, "console", "production", "read", "--service", "s3", "--print", "-v")
    assert run.returncode == 0, run.stderr
    url = run.stdout.strip()
    assert run.stdout.count("\n") == 1 and url.startswith(federation(emulator) + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["Action"] == ["login"]
    assert query["Destination"] == [f"https://console.aws.amazon.com/s3/home?region={world.region}"]
    token = query["SigninToken"][0]
    # The URL is a bearer secret: -v explains the steps, never the token.
    assert token not in run.stderr and "SigninToken" not in run.stderr and "federation" in run.stderr
    status, body = fetch(url)
    assert status == 200
    assert body["signed_in_as"] == f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    calls = emulator.control.calls(outcome="ok")
    assert calls.get("GetSessionToken") == 1 and calls.get("getSigninToken") == 1


def test_the_role_this_shell_holds_and_no_display(console_env, world, mfa_code):
    values = exports_of(run_cli(console_env, "--shell", "bash", "staging", "admin", mfa_code(), "eu-west-1").stdout)
    env = {**console_env, **values}
    run = run_cli(env, "console")  # no --print: without a display the URL is printed
    assert run.returncode == 0, run.stderr
    query = parse_qs(urlsplit(run.stdout.strip()).query)
    assert query["Destination"] == ["https://console.aws.amazon.com/console/home?region=eu-west-1"]
    assert fetch(run.stdout.strip())[1]["signed_in_as"].endswith("assumed-role/admin/" + world.user_name)


def test_the_browser_gets_a_one_time_address_not_the_token(console_env, mfa_code, tmp_path):
    # A "browser" that records its command line and follows the address once.
    seen = tmp_path / "browser"
    browser = tmp_path / "browser.py"
    browser.write_text(
        "import sys, urllib.request\n"
        "class Stop(urllib.request.HTTPRedirectHandler):\n"
        "    def redirect_request(self, req, fp, code, msg, headers, newurl):\n"
        f"        open({str(seen)!r}, 'w').write(sys.argv[1] + '\\n' + newurl)\n"
        "        return None\n"
        "try:\n"
        "    urllib.request.build_opener(Stop).open(sys.argv[1])\n"
        "except Exception:\n"
        "    pass\n"
    )
    env = {**console_env, "DISPLAY": ":99", "BROWSER": f"{sys.executable} {browser} %s"}
    run = run_cli(env, "console", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    argv_url, location = seen.read_text().splitlines()
    assert argv_url.startswith("http://127.0.0.1:") and "SigninToken" not in argv_url
    assert "SigninToken=" in location and "Action=login" in location
    with pytest.raises(urllib.error.URLError):  # gone, or refused: one time only
        urllib.request.urlopen(argv_url, timeout=5)


# Fetches a URL once without following a redirect and prints what came back.
FETCH = """
import sys, urllib.error, urllib.request
class Stop(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.URLError("redirect " + newurl)
def fetch(url):
    try:
        urllib.request.build_opener(Stop).open(url, timeout=10)
        return "no redirect"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except urllib.error.URLError as error:
        return str(error.reason)
"""
# Another user reads the browser's command line, as ps shows it to anyone, and fetches its
# address; "idle": only connects, says so, and then sends nothing.
THIEF = FETCH + """
import socket, time
from urllib.parse import urlsplit
args = open(f"/proc/{sys.argv[1]}/cmdline").read().split("\\0")
address = next(arg for arg in args if arg.startswith("http://127.0.0.1:"))
if sys.argv[2] == "idle":
    held = socket.create_connection(("127.0.0.1", urlsplit(address).port))
    print("idle", flush=True)
    time.sleep(60)
print(fetch(address))
"""
# The browser: runs the other user before or after fetching the address itself (or while it
# holds an idle connection), and writes what each got.
BROWSER = FETCH + f"""
import json, os, subprocess
order, seen, address = sys.argv[1:]
def thief(mode="fetch"):
    return subprocess.Popen(["setpriv", "--reuid={OTHER_UID}", "--regid={OTHER_UID}", "--clear-groups",
                             sys.executable, "-I", "-c", {THIEF!r}, str(os.getpid()), mode],
                            cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
if order == "thief-idle":
    other = thief("idle")
    said = other.stdout.readline()
    mine = fetch(address)
    other.kill()
    other.wait()
else:
    if order == "thief-first":
        said = thief().communicate(timeout=30)[0]
    mine = fetch(address)
    if order == "browser-first":
        said = thief().communicate(timeout=30)[0]
json.dump({{"thief": said.strip(), "browser": mine}}, open(seen, "w"))
"""


@pytest.mark.parametrize("order", ["thief-first", "browser-first", "thief-idle"])
def test_another_user_never_gets_the_sign_in_and_coming_first_fails_the_command(console_env, mfa_code,
                                                                                  tmp_path, order):
    browser, seen = tmp_path / "browser.py", tmp_path / "seen.json"
    browser.write_text(BROWSER)
    env = {**console_env, "DISPLAY": ":99", "BROWSER": f"{sys.executable} {browser} {order} {seen} %s"}
    run = run_cli(env, "console", "production", "read", mfa_code())
    got = json.loads(seen.read_text())
    # The other user learns the address but is refused, or holds a silent connection: no token.
    assert got["thief"] == ("idle" if order == "thief-idle" else "HTTP 403"), got
    if order == "thief-first":
        # The hand-off is spent on the refusal: the browser gets nothing and the command says so.
        assert not got["browser"].startswith("redirect "), got
        assert_clean_failure(run, 6, f"user id {OTHER_UID}", "before your browser")
    else:
        assert run.returncode == 0, run.stderr
        assert got["browser"].startswith("redirect ") and "SigninToken=" in got["browser"]


def test_federation_refuses_chained_sessions_that_named_a_duration(console_env, emulator, mfa_code):
    # What the main command exports: AssumeRole from the MFA session, with DurationSeconds.
    values = exports_of(run_cli(console_env, "--shell", "bash", "production", "read", mfa_code()).stdout)
    status, body = signin_token(emulator, values)
    assert status == 400 and "role chaining" in body["error"]
    session = next(s for s in emulator.control.sessions() if s["access_key_id"] == values["AWS_ACCESS_KEY_ID"])
    assert session["chained"] and session["duration_requested"]


def test_federation_refuses_mfa_sessions_and_expired_roles(console_env, emulator, world, mfa_code):
    import boto3

    sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name=world.region,
                       aws_access_key_id=world.access_key_id, aws_secret_access_key=world.secret_access_key)
    mfa = sts.get_session_token(SerialNumber=world.mfa_serial, TokenCode=mfa_code())["Credentials"]
    as_env = lambda c: {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                        "AWS_SESSION_TOKEN": c["SessionToken"]}
    assert signin_token(emulator, as_env(mfa))[0] == 403
    chained = boto3.client("sts", endpoint_url=emulator.endpoint, region_name=world.region,
                           aws_access_key_id=mfa["AccessKeyId"], aws_secret_access_key=mfa["SecretAccessKey"],
                           aws_session_token=mfa["SessionToken"])
    role = chained.assume_role(RoleArn=f"arn:aws:iam::{world.production_account_id}:role/read",
                               RoleSessionName="alice", ExternalId=world.production_account_id)["Credentials"]
    status, body = signin_token(emulator, as_env(role))
    assert status == 200 and body["SigninToken"]
    emulator.control.expire_sessions(kind="role", access_key_id=role["AccessKeyId"])
    assert signin_token(emulator, as_env(role))[0] == 403


def test_endpoint_must_be_https_or_loopback(console_env):
    env = {**console_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": "http://example.com/federation"}
    assert_clean_failure(run_cli(env, "console", "production", "read", "--print"), 2, "https")


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1:abc/f",
    "http://127.0.0.1:0/f",
    "http://127.0.0.1:65536/f",
    "http://127.0.0.1:/f",
    "https://user:secret@signin.example.com/federation",
    "https://@signin.example.com/federation",
    "https:///federation",
    "ftp://127.0.0.1/federation",
    "https://[::1/federation",
    "https://sign in.example.com/federation",
    "https://signin.example.com/federation?x=1",
    "https://signin.example.com/f\u00e9deration",
])
def test_a_malformed_endpoint_is_refused_before_any_aws_call(console_env, emulator, endpoint):
    env = {**console_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": endpoint}
    assert_clean_failure(run_cli(env, "console", "production", "read", "000000", "--print"), 2,
                         "ASSUME_ROLE_FEDERATION_ENDPOINT")
    assert emulator.control.calls() == {}


@contextlib.contextmanager
def federation_server(answer):
    """A federation endpoint on loopback whose every GET is answered by ``answer(handler)``."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            answer(self)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/federation"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirecting_endpoint_is_refused(console_env, emulator, mfa_code):
    def moved(handler):
        handler.send_response(302)
        handler.send_header("Location", federation(emulator) + "?" + urlsplit(handler.path).query)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with federation_server(moved) as endpoint:
        env = {**console_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": endpoint}
        run = run_cli(env, "console", "production", "read", mfa_code(), "--print")
    assert_clean_failure(run, 6, "redirect (HTTP 302)", "not followed")
    assert "getSigninToken" not in emulator.control.calls()  # the credentials went no further


def test_an_endless_answer_is_cut_off(console_env, mfa_code):
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        with contextlib.suppress(OSError):
            while True:
                handler.wfile.write(b" " * 65536)

    with federation_server(endless) as endpoint:
        env = {**console_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": endpoint}
        run = run_cli(env, "console", "production", "read", mfa_code(), "--print")
    assert_clean_failure(run, 6, "too much")


def test_a_trickling_answer_meets_the_deadline(console_env, fault_proxy, mfa_code):
    # The real answer, one byte a second: every read is quick, the whole never arrives in time.
    fault_proxy.inject("*", "drip")
    env = {**console_env, "ASSUME_ROLE_FEDERATION_ENDPOINT": fault_proxy.endpoint + "/federation",
           "ASSUME_ROLE_HTTP_TIMEOUT": "2"}
    run = run_cli(env, "console", "production", "read", mfa_code(), "--print")
    assert_clean_failure(run, 6, "did not answer within 2 seconds")


def test_console_needs_a_role(console_env):
    assert_clean_failure(run_cli(console_env, "console", "--print"), 2, "no role is assumed")
    assert_clean_failure(run_cli(console_env, "console", "production", "--print"), 2, "together")
    assert_clean_failure(run_cli(console_env, "console", "production", "read", "--service", "../x"), 2, "--service")


