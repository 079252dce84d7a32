"""``assume-role exec --server``: SDKs get the role from a local endpoint that renews it.

The emulator issues role sessions of a few seconds here, so a loop of
GetCallerIdentity calls through boto3, the AWS CLI v1 and the JavaScript SDK
v3 outlives several of them; it must never meet an expired token. The server
answers only its user, with its token, and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from support import cannot_run, run_cli

JS_DIR = Path(__file__).resolve().parent / "js"
# Long enough for a renewal (a child process and one AssumeRole), short
# enough that a test outlives several.
ROLE_SESSION_SECONDS = 20
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

BOTO3_LOOP = """
import os, sys, time, boto3
sts = boto3.client("sts")
while not os.path.exists(sys.argv[1]):
    try:
        print(sts.get_caller_identity()["Arn"], flush=True)
    except Exception as error:
        print("ERROR:", error, flush=True)
        sys.exit(1)
    time.sleep(0.2)
"""
AWS_CLI_LOOP = """
while [ ! -e "$1" ]; do
    aws sts get-caller-identity --query Arn --output text 2>&1 || exit 1
done
"""
SHOW_AND_WAIT = """
import os, sys, time
for name in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"):
    print(os.environ.get(name, "-"), flush=True)
print(" ".join(sorted(name for name in os.environ if name.startswith("AWS_"))), flush=True)
print(os.environ.get("AWS_SHARED_CREDENTIALS_FILE"), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
"""


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """The JavaScript SDK v3 from npm, installed once beside its script (tests/js/node_modules)."""
    if not (shutil.which("node") and shutil.which("npm")):
        cannot_run("needs node and npm (Debian: apt install nodejs npm)")
    stamp = JS_DIR / "node_modules" / ".installed"
    wanted = (JS_DIR / "package.json").read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"],
                              cwd=JS_DIR, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        stamp.write_text(wanted)
    return JS_DIR / "sts_loop.mjs"


class Served:
    """``assume-role exec --server production read -- COMMAND...``, its output read line by line."""

    def __init__(self, env: dict, code: str, command: list[str], stop: Path):
        self.stop = stop
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assume_role", "exec", "--server", "production", "read", code, "--", *command],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_lines(self, count: int, timeout: float = 90) -> list[str]:
        wait_for(lambda: len(self.lines) >= count or self.process.poll() is not None, timeout)
        assert len(self.lines) >= count, (self.lines, self.process.stderr.read())
        return self.lines[:count]

    def finish(self) -> tuple[int, str]:
        self.stop.touch()
        try:
            code = self.process.wait(timeout=60)
        finally:
            self.process.kill()
        self.reader.join(10)
        return code, self.process.stderr.read()


def wait_for(condition, timeout: float = 90) -> None:
    """Poll until ``condition()`` holds; a bound against hanging, never a measurement."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def role_sessions(emulator) -> list[dict]:
    return [session for session in emulator.control.sessions() if session["kind"] == "role"]


def state_file(env: dict) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "assume-role" / "server.json"


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def get(uri: str, token: str | None) -> tuple[int, dict]:
    request = urllib.request.Request(uri, headers={"Authorization": token} if token is not None else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def loop_command(client: str, stop: Path, js_script: Path | None) -> list[str]:
    if client == "boto3":
        return [sys.executable, "-c", BOTO3_LOOP, str(stop)]
    if client == "aws":
        return ["sh", "-c", AWS_CLI_LOOP, "sh", str(stop)]
    return ["node", str(js_script), str(stop)]


@pytest.mark.parametrize("client", ["boto3", "aws", "js"], ids=["boto3", "aws-cli-v1", "js-sdk-v3"])
def test_sdks_keep_working_across_role_expiry(client, request, aws_env, world, emulator, mfa_code, tmp_path):
    js_script = request.getfixturevalue("js_sdk") if client == "js" else None
    if client == "aws":
        assert shutil.which("aws", path=aws_env["PATH"]), "the AWS CLI v1 comes with the test extra"
    emulator.control.role_session_seconds(ROLE_SESSION_SECONDS)
    # The emulator keeps the sessions of every test before this one.
    before = {session["access_key_id"] for session in role_sessions(emulator)}
    served = Served(aws_env, mfa_code(), loop_command(client, tmp_path / "stop", js_script), tmp_path / "stop")
    try:
        served.wait_lines(1)
        first = {session["access_key_id"] for session in role_sessions(emulator)} - before
        # Every role session issued before the first answer has ended at the emulator...
        wait_for(lambda: all(s["expired"] for s in role_sessions(emulator) if s["access_key_id"] in first))
        # ...and the loop still gets answers after that.
        served.wait_lines(len(served.lines) + 3)
    finally:
        code, stderr = served.finish()
    arn = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    assert code == 0, (served.lines[-3:], stderr)
    assert set(served.lines) == {arn}
    assert len(role_sessions(emulator)) > len(before) + len(first), "the role was renewed"
    assert emulator.control.calls(outcome="error").get("GetCallerIdentity", 0) == 0


def test_the_command_gets_the_endpoint_and_no_keys(aws_env, mfa_code, tmp_path):
    aws_env.update(AWS_ACCESS_KEY_ID="AKIAOLD", AWS_SECRET_ACCESS_KEY="old", AWS_PROFILE="leftover")
    served = Served(aws_env, mfa_code(), [sys.executable, "-c", SHOW_AND_WAIT, str(tmp_path / "stop")],
                    tmp_path / "stop")
    try:
        uri, token, names, credentials_file = served.wait_lines(4)
    finally:
        served.finish()
    assert uri.startswith("http://127.0.0.1:") and "/role/" in uri
    assert len(token) >= 40
    assert names.split() == [
        "AWS_ACCOUNT_ID", "AWS_ACCOUNT_NAME", "AWS_ACCOUNT_ROLE", "AWS_CONFIG_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_DEFAULT_REGION",
        "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SHARED_CREDENTIALS_FILE",
    ]
    # The sandbox's default profile holds the bastion's keys, which every SDK
    # would take before the endpoint: the command does not see that file.
    assert credentials_file == os.devnull


def test_after_the_mfa_session_ends_sdks_are_told_what_to_run(aws_env, emulator, mfa_code, tmp_path):
    emulator.control.role_session_seconds(ROLE_SESSION_SECONDS)
    served = Served(aws_env, mfa_code(), loop_command("boto3", tmp_path / "stop", None), tmp_path / "stop")
    try:
        served.wait_lines(1)
        emulator.control.expire_sessions(kind="session")
        wait_for(lambda: served.process.poll() is not None)
    finally:
        code, stderr = served.finish()
    assert code == 1
    assert served.lines[-1].startswith("ERROR: ")
    assert "the MFA session has ended: run `assume-role production read` to sign in again" in served.lines[-1]


KEEP_GOING = """
import os, sys, time, boto3
sts = boto3.client("sts")
while not os.path.exists(sys.argv[1]):
    try:
        print(sts.get_caller_identity()["Arn"], flush=True)
    except Exception as error:
        print("ERROR:", error, flush=True)
    time.sleep(0.5)
"""


def test_a_command_goes_on_once_someone_signs_in_again(aws_env, world, emulator, mfa_code, tmp_path):
    emulator.control.role_session_seconds(ROLE_SESSION_SECONDS)
    served = Served(aws_env, mfa_code(), [sys.executable, "-c", KEEP_GOING, str(tmp_path / "stop")],
                    tmp_path / "stop")
    arn = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    try:
        served.wait_lines(1)
        emulator.control.expire_sessions(kind="session")
        wait_for(lambda: any(line.startswith("ERROR") for line in served.lines))
        # In another terminal, as the error says.
        signed_in = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
        assert signed_in.returncode == 0, signed_in.stderr
        failed = len(served.lines)
        wait_for(lambda: arn in served.lines[failed:], timeout=150)
    finally:
        code, stderr = served.finish()
    assert code == 0, stderr
    errors = {line for line in served.lines if line.startswith("ERROR")}
    assert all("run `assume-role production read` to sign in again" in line for line in errors), errors


def test_after_logout_sdks_are_told_what_to_run(aws_env, emulator, mfa_code, tmp_path):
    emulator.control.role_session_seconds(ROLE_SESSION_SECONDS)
    served = Served(aws_env, mfa_code(), loop_command("boto3", tmp_path / "stop", None), tmp_path / "stop")
    try:
        served.wait_lines(1)
        logout = run_cli(aws_env, "logout")
        assert logout.returncode == 0, logout.stderr
        assert "the credential server serves no role any more" in logout.stdout
        wait_for(lambda: served.process.poll() is not None)
    finally:
        code, stderr = served.finish()
    assert code == 1
    assert "you logged out: run `assume-role production read` to sign in again" in served.lines[-1]


@pytest.mark.usefixtures("root")
def test_only_its_user_with_its_token_gets_credentials(aws_env, mfa_code, tmp_path):
    served = Served(aws_env, mfa_code(), [sys.executable, "-c", SHOW_AND_WAIT, str(tmp_path / "stop")],
                    tmp_path / "stop")
    try:
        uri, token, _, _ = served.wait_lines(4)
        status, document = get(uri, token)
        assert status == 200 and sorted(document) == ["AccessKeyId", "Expiration", "SecretAccessKey", "Token"]

        for offered in (None, "", token[:-1] + ("x" if token[-1] != "x" else "y"), token + "x"):
            status, answer = get(uri, offered)
            assert status == 401 and "AccessKeyId" not in answer
            assert answer["Message"] == "assume-role: this credential server answers only with its token"

        # Another local user, even one that learnt the token, is refused.
        as_nobody = (
            "import json, os, sys, urllib.request, urllib.error\n"
            "request = urllib.request.Request(sys.argv[1], headers={'Authorization': os.environ['TOKEN']})\n"
            "try:\n"
            "    print(urllib.request.urlopen(request, timeout=10).status)\n"
            "except urllib.error.HTTPError as error:\n"
            "    print(error.code, json.loads(error.read())['Message'])\n"
        )
        other = subprocess.run([*NOBODY, "/usr/bin/python3", "-c", as_nobody, uri], env={"TOKEN": token},
                               capture_output=True, text=True, timeout=30)
        assert other.stdout == "403 assume-role: this credential server answers only its own user\n", other.stderr

        # Nor can it learn the token: not from the state file, the command's
        # environment, or any command line.
        state = state_file(aws_env)
        assert state.stat().st_mode & 0o777 == 0o600 and token in state.read_text()
        for path in (state, Path(f"/proc/{served.process.pid}/environ")):
            peek = subprocess.run([*NOBODY, "cat", str(path)], capture_output=True, text=True, timeout=30)
            assert peek.returncode != 0 and token not in peek.stdout
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                assert token.encode() not in cmdline.read_bytes()
            except OSError:
                pass
    finally:
        code, stderr = served.finish()
    assert code == 0, stderr


def test_requests_are_bounded(aws_env, mfa_code, tmp_path):
    served = Served(aws_env, mfa_code(), [sys.executable, "-c", SHOW_AND_WAIT, str(tmp_path / "stop")],
                    tmp_path / "stop")
    try:
        uri, token, _, _ = served.wait_lines(4)
        port = int(uri.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nX-Padding: " + b"a" * 20000 + b"\r\n\r\n")
            assert connection.recv(100).startswith(b"HTTP/1.1 431 ")
        # More requests than a burst, as fast as they come, are turned away.
        answers = set()
        for _ in range(3000):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(b"GET /role/x HTTP/1.1\r\nAuthorization: wrong\r\n\r\n")
                answers.add(connection.recv(100)[:12])
            if b"HTTP/1.1 429" in answers:
                break
        assert answers == {b"HTTP/1.1 401", b"HTTP/1.1 429"}
    finally:
        served.finish()


@pytest.mark.parametrize("victim", ["server", "command"])
def test_kill_9_leaves_no_socket_and_no_state(victim, aws_env, mfa_code, tmp_path):
    served = Served(aws_env, mfa_code(), [sys.executable, "-c", SHOW_AND_WAIT, str(tmp_path / "stop")],
                    tmp_path / "stop")
    try:
        served.wait_lines(4)
        state = json.loads(state_file(aws_env).read_text())
        assert listening(state["port"])
        os.kill(state["pid"] if victim == "server" else served.process.pid, signal.SIGKILL)
        wait_for(lambda: not state_file(aws_env).exists())
        wait_for(lambda: not listening(state["port"]))
        for pid in (state["pid"], state["supervisor"]):
            wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid))
        assert [p.name for p in state_file(aws_env).parent.iterdir()] in (["mfa-devices.json", "server.lock"],
                                                                          ["server.lock", "mfa-devices.json"])
    finally:
        served.finish()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True
