"""Served shells in real bash, zsh and fish: processes already running follow a role switch.

With ASSUME_ROLE_SERVE=1 the shell holds the credential server's endpoint
instead of keys. A process started in the background before a switch asks
the endpoint again when its credentials near their end (role sessions of a
few seconds here) and from then on runs as the new role; the prompt says the
role is served; the server ends with the shell, however the shell ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
from helpers import Terminal, write_helper
from test_terminal import rc

ROLE_SESSION_SECONDS = 20
LOOP = """\
import os, sys, time, boto3
sts = boto3.client("sts")
with open(sys.argv[1], "a") as out:
    while not os.path.exists(sys.argv[2]):
        try:
            arn = sts.get_caller_identity()["Arn"]
        except Exception as error:
            arn = f"ERROR: {error}"
        out.write(arn + "\\n")
        out.flush()
        time.sleep(0.3)
"""


def wait_for(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("ending", ["exit", "kill -9"])
def test_a_running_process_follows_a_switch(shell, ending, aws_env, world, mfa_code, emulator, tmp_path):
    emulator.control.role_session_seconds(ROLE_SESSION_SECONDS)
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper), "ASSUME_ROLE_SERVE": "1"}
    state_file = Path(env["XDG_STATE_HOME"]) / "assume-role" / "server.json"
    out, stop = tmp_path / "arns", tmp_path / "stop"
    production = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    staging = f"arn:aws:sts::{world.staging_account_id}:assumed-role/admin/{world.user_name}"
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        term.run(f"assume-role production read {mfa_code()}")
        assert "production:read served" in term.prompt_line()
        assert term.run("echo \"keys=$AWS_ACCESS_KEY_ID\"").strip() == "keys="
        loop = tmp_path / "loop.py"
        loop.write_text(LOOP)
        # In the background, started before the switch (a line of its own: `&;` is no syntax).
        term.type(f"{sys.executable} {loop} {out} {stop} &")
        term.key("Enter")
        wait_for(lambda: production in lines(out))

        term.run("assume-role staging admin")
        assert "staging:admin served" in term.prompt_line()
        wait_for(lambda: lines(out)[-1:] == [staging])
        seen = lines(out)
        assert set(seen) == {production, staging}, [line for line in seen if line.startswith("ERROR")][:1]
        # No going back: once switched, the running process stays on the new role.
        assert seen[seen.index(staging):] == [staging] * (len(seen) - seen.index(staging))
        status = term.run("assume-role status")
        assert "staging:admin (" in status and "served:       by the credential server" in status

        stop.touch()
        term.run("wait")  # zsh would not exit with a job running
        server = json.loads(state_file.read_text())
        assert listening(server["port"])
        if ending == "exit":
            term.type("exit")
            term.key("Enter")
        else:
            pane = int(term._tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())
            os.kill(pane, signal.SIGKILL)
        wait_for(lambda: not state_file.exists())
        wait_for(lambda: not listening(server["port"]))


# What a served shell holds, one variable a line (fish prints unset ones as empty too).
SHOW = {
    "bash": 'for v in {names}; do echo "$v=${{!v-}}"; done\n',
    "zsh": 'for v in {names}; do echo "$v=${{(P)v-}}"; done\n',
    "fish": 'for v in {names}; echo "$v=$$v"; end\n',
}
NAMES = ["ASSUME_ROLE_SERVE", "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_SHARED_CREDENTIALS_FILE",
         "ASSUME_ROLE_HIDDEN_CREDENTIALS_FILE", "AWS_ACCOUNT_ROLE"]


def test_serve_on_and_off_and_clear(shell, aws_env, mfa_code, tmp_path):
    from helpers import load_lines, run_strict

    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    show = SHOW[shell].format(names=" ".join(NAMES))
    script = (
        load_lines(shell)
        + f"assume-role production read {mfa_code()}\n" + show + "echo ---\n"
        + "assume-role serve\n" + show + "echo ---\n"
        + "assume-role serve --off\n" + show + "echo ---\n"
        + "assume-role serve\nassume-role clear\n" + show
    )
    result = run_strict(shell, script, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    keys, served, off, cleared = [dict(line.split("=", 1) for line in block.strip().splitlines())
                                  for block in result.stdout.split("---\n")]
    credentials = aws_env["AWS_SHARED_CREDENTIALS_FILE"]
    assert keys["AWS_ACCESS_KEY_ID"].startswith("ASIA") and keys["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == ""
    # Served: the endpoint, no keys; the bastion's keys hidden from SDKs, kept for assume-role.
    assert served["ASSUME_ROLE_SERVE"] == "1" and served["AWS_ACCESS_KEY_ID"] == ""
    assert served["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert served["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert served["ASSUME_ROLE_HIDDEN_CREDENTIALS_FILE"] == credentials
    assert served["AWS_ACCOUNT_ROLE"] == "read"
    # Off: keys for the same role, the file back.
    assert off["ASSUME_ROLE_SERVE"] == "" and off["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert off["AWS_ACCOUNT_ROLE"] == "read"
    assert off["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "" and off["AWS_SHARED_CREDENTIALS_FILE"] == credentials
    assert off["ASSUME_ROLE_HIDDEN_CREDENTIALS_FILE"] == ""
    # Clear in a served shell: nothing of the role, the file back, still served for the next role.
    assert cleared == {"ASSUME_ROLE_SERVE": "1", "AWS_ACCESS_KEY_ID": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
                       "AWS_SHARED_CREDENTIALS_FILE": credentials, "ASSUME_ROLE_HIDDEN_CREDENTIALS_FILE": "",
                       "AWS_ACCOUNT_ROLE": ""}
