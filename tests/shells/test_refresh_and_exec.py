"""In real interactive shells (tmux): auto-refresh before a command, and exec leaving the shell alone."""

from __future__ import annotations

import time

from helpers import Terminal, write_helper
from test_terminal import FINGERPRINT, rc

# A 900 s role renewed when under 890 s are left: ten seconds after assuming,
# the next command sees new credentials, and the one after does not renew again.
SESSION = 900
WINDOW = 890


def setting(shell: str, name: str, value: str) -> str:
    return f"set -g {name} {value}" if shell == "fish" else f"{name}={value}"


def test_auto_refresh(shell, aws_env, mfa_code, emulator, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {
        **aws_env,
        "ASSUME_ROLE_COMMAND": str(helper),
        "AWS_ROLE_SESSION_TIMEOUT": str(SESSION),
        "ASSUME_ROLE_REFRESH_BEFORE": str(WINDOW),
    }
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        term.run(f"assume-role production read {mfa_code()}")
        assumed_at = time.monotonic()
        first = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "renewed" not in first
        time.sleep(max(0.0, SESSION - WINDOW + 1 - (time.monotonic() - assumed_at)))

        renewed = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "assume-role: renewed production:read" in renewed
        assert renewed.count("assume-role:") == 1
        key = renewed.split("key=")[1].split()[0]
        assert key.startswith("ASIA") and f"key={key}" not in first
        again = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert again.strip() == f"key={key}"
        assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1

        # Turned off: nothing happens even inside the window.
        term.run(setting(shell, "ASSUME_ROLE_AUTO_REFRESH", "0"))
        term.run(setting(shell, "ASSUME_ROLE_REFRESH_BEFORE", "100000"))
        assert term.run("echo key=$AWS_ACCESS_KEY_ID").strip() == f"key={key}"

        # The MFA session has ended too: said once, no question, the shell unchanged.
        emulator.control.expire_sessions(kind="session")
        before = term.run(FINGERPRINT)
        term.run(setting(shell, "ASSUME_ROLE_AUTO_REFRESH", "1"))
        told = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "MFA session has ended" in told and "assume-role production read" in told
        assert told.count("assume-role:") == 1
        assert f"key={key}" in told
        assert term.run(FINGERPRINT) == before
        assert "assume-role" not in term.run("echo quiet")


def test_exec_leaves_the_shell_alone(shell, aws_env, mfa_code, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        clean = term.run(FINGERPRINT)
        shown = term.run(f"assume-role exec production read {mfa_code()} -- sh -c 'echo $AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE'")
        assert shown.strip() == "production:read"
        assert term.run(FINGERPRINT) == clean
        # Ctrl-C reaches the command; the shell gets its prompt back.
        status = "$status" if shell == "fish" else "$?"
        term.type("assume-role exec production read -- sleep 30")
        term.key("Enter")
        term.wait_for(r"sleep 30\s*$")
        time.sleep(1.5)
        term.key("C-c")
        assert term.run(f"echo status={status}").strip().endswith("status=130")
        assert term.run(FINGERPRINT) == clean
