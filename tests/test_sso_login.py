"""Signing in to IAM Identity Center on a real terminal: the OIDC device flow.

The code is read off the terminal and approved through the emulator's
control route, as a person reads it and approves it in the browser.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from assume_role_lab.emulator.sandbox import add_sso_profile
from support import assert_no_secret
from test_assume import exports_of
from test_sso import cache_dir, token_file

CODE = re.compile(r"enter the code ([A-Z]{4}-[A-Z]{4})")
# The helper's stdout goes to a file, as the shell function's $(...) takes it:
# the terminal then shows only what is meant for the person.
RUN = '"$0" -m assume_role --shell bash "$@" > "$OUT"'


@pytest.fixture
def sso_env(aws_env, sso_world, tmp_path):
    return dict(add_sso_profile(aws_env, sso_world), OUT=str(tmp_path / "stdout"))


def spawn(env, *args: str) -> pexpect.spawn:
    return pexpect.spawn("sh", ["-c", RUN, sys.executable, *args], env=env, encoding="utf-8", timeout=60)


def shown_code(child: pexpect.spawn) -> str:
    child.expect(CODE)
    return child.match.group(1)


def finished(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else 128 + child.signalstatus


def test_the_device_flow_shows_the_code_on_the_terminal_and_keeps_the_sign_in(emulator, sso_env):
    child = spawn(sso_env, "production", "AdministratorAccess")
    code = shown_code(child)
    screen = child.before + child.after
    assert "https://device.sso.us-east-1.amazonaws.com/" in screen
    emulator.control.sso_approve(code)
    assert finished(child) == 0, child.before
    stdout = Path(sso_env["OUT"]).read_text()
    assert exports_of(stdout)["AWS_ACCOUNT_ROLE"] == "AdministratorAccess"
    assert code not in stdout and "device.sso" not in stdout
    calls = emulator.control.calls()
    assert (calls["RegisterClient"], calls["StartDeviceAuthorization"], calls["GetRoleCredentials"]) == (1, 1, 1)
    path = token_file(sso_env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(cache_dir(sso_env).iterdir()) == [path]
    assert_no_secret(screen + child.before, emulator.control.issued_secrets())


def test_a_later_run_uses_the_sign_in_without_asking(emulator, sso_env):
    first = spawn(sso_env, "production", "AdministratorAccess")
    emulator.control.sso_approve(shown_code(first))
    assert finished(first) == 0
    emulator.control.reset()
    second = spawn(sso_env, "staging", "ReadOnlyAccess")
    assert finished(second) == 0, second.before
    assert "enter the code" not in second.before
    assert emulator.control.calls() == {"GetRoleCredentials": 1}


def test_ctrl_c_while_waiting_leaves_everything_as_it_was(emulator, sso_env):
    child = spawn(sso_env, "production", "AdministratorAccess")
    shown_code(child)
    child.sendintr()
    assert finished(child) == 130
    assert "interrupted; nothing was changed" in child.before
    assert Path(sso_env["OUT"]).read_text() == ""
    assert not cache_dir(sso_env).exists() or not list(cache_dir(sso_env).iterdir())
    stored = Path(sso_env["XDG_CACHE_HOME"], "assume-role")
    assert not list(stored.glob("role-*.json")) and not list(stored.glob(".tmp-*"))


def test_ten_parallel_runs_sign_in_once(emulator, sso_env):
    children = [spawn(sso_env, "production", "ReadOnlyAccess") for _ in range(10)]
    # Approved only once every run has either shown a code or said it waits.
    said: dict[int, str] = {}
    deadline = time.monotonic() + 60
    while len(said) < len(children):
        for number, child in enumerate(children):
            if number in said:
                continue
            try:
                child.expect([CODE, "waiting for another assume-role that is signing in"], timeout=0.1)
            except pexpect.TIMEOUT:
                continue
            said[number] = child.match.group(1) if child.match.re is CODE else "waiting"
        assert time.monotonic() < deadline, f"only {len(said)} runs said anything"
    codes = [text for text in said.values() if text != "waiting"]
    assert len(codes) == 1, said
    emulator.control.sso_approve(codes[0])
    assert [finished(child) for child in children] == [0] * 10
    calls = emulator.control.calls()
    assert (calls["RegisterClient"], calls["StartDeviceAuthorization"]) == (1, 1)


@pytest.mark.parametrize("end", ["denied", "expired"])
def test_a_sign_in_denied_or_not_approved_in_time_exits_3(end, emulator, sso_env):
    child = spawn(sso_env, "production", "AdministratorAccess")
    code = shown_code(child)
    if end == "denied":
        emulator.control.sso_approve(code, deny=True)
    else:
        emulator.control.sso_expire("devices")
    assert finished(child) == 3
    last = child.before.strip().splitlines()[-1]
    assert last == ("assume-role: the IAM Identity Center sign-in was denied in the browser" if end == "denied" else
                    "assume-role: the IAM Identity Center sign-in code expired before it was approved; "
                    "run assume-role again and approve it in the browser")
    assert Path(sso_env["OUT"]).read_text() == ""
    assert not token_file(sso_env).exists()


def test_polling_slows_down_when_asked(emulator, sso_env):
    emulator.control.inject_fault("CreateToken", "SlowDownException", message="Client is polling too fast")
    child = spawn(sso_env, "-v", "production", "AdministratorAccess")
    code = shown_code(child)
    emulator.control.sso_approve(code)
    assert finished(child) == 0, child.before
    assert "asked to poll more slowly: every 6s" in child.before
    assert emulator.control.calls()["CreateToken"] == 2


def test_a_sign_in_with_a_refresh_token_is_renewed_without_asking(emulator, sso_env):
    first = spawn(sso_env, "production", "AdministratorAccess")
    emulator.control.sso_approve(shown_code(first))
    assert finished(first) == 0
    path = token_file(sso_env)
    data = json.loads(path.read_text())
    data["expiresAt"] = "2000-01-01T00:00:00Z"  # ended: the refresh token renews it
    path.write_text(json.dumps(data))
    emulator.control.reset()
    second = spawn(sso_env, "staging", "ReadOnlyAccess")
    assert finished(second) == 0, second.before
    assert "enter the code" not in second.before
    assert emulator.control.calls() == {"CreateToken": 1, "GetRoleCredentials": 1}
    assert json.loads(path.read_text())["expiresAt"] > "2000"


def test_the_role_picker_offers_the_permission_sets_and_tab_keeps_them(emulator, sso_world, sso_env):
    from test_sso import cli_login

    cli_login(emulator, sso_world, sso_env)
    env = dict(sso_env, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn("sh", ["-c", RUN, sys.executable, "production"], env=env, encoding="utf-8", timeout=60,
                          dimensions=(30, 110))
    child.expect("Role in production")
    child.expect("AdministratorAccess")
    child.expect("ReadOnlyAccess")
    child.send("ReadOnly")
    child.send("\r")
    assert finished(child) == 0
    assert exports_of(Path(sso_env["OUT"]).read_text())["AWS_ACCOUNT_ROLE"] == "ReadOnlyAccess"
    assert emulator.control.calls() == {"ListAccountRoles": 1, "GetRoleCredentials": 1}
    # Tab, which never asks AWS, offers what the picker listed.
    tab = subprocess.run([sys.executable, "-m", "assume_role", "__complete", "--shell", "fish", "--", "production", ""],
                         env=sso_env, capture_output=True, text=True, timeout=60)
    assert tab.stdout.splitlines() == ["ReadOnlyAccess\tassumed before",
                                       "AdministratorAccess\tassigned in IAM Identity Center"]


def test_credential_process_shows_the_code_on_the_controlling_terminal(emulator, sso_env):
    # An SDK runs it with pipes for stdout and stderr: the terminal is the only way to the person.
    script = '"$0" -m assume_role credential-process production ReadOnlyAccess > "$OUT" 2>/dev/null'
    child = pexpect.spawn("sh", ["-c", script, sys.executable], env=sso_env, encoding="utf-8", timeout=60)
    emulator.control.sso_approve(shown_code(child))
    assert finished(child) == 0, child.before
    answer = json.loads(Path(sso_env["OUT"]).read_text())
    assert answer["Version"] == 1 and answer["AccessKeyId"].startswith("ASIA")
