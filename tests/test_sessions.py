"""Whose MFA session is reused, and how parallel runs share one without waiting on a person."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pexpect
import pytest

from support import run_cli
from test_assume import exports_of

from assume_role_lab.emulator import seed_world
from assume_role.state.store import mfa_key
from assume_role.state.store.file import FileBackend

CALLER_ARN = 'import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'


def assume(env, *args):
    return run_cli(env, "--shell", "bash", *args)


def caller_arn(env, stdout: str) -> str:
    applied = dict(env, **exports_of(stdout))
    found = subprocess.run([sys.executable, "-c", CALLER_ARN], env=applied, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()


def use_keys(env, access_key_id: str, secret: str) -> None:
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n"
    )


# -- item: a session is reused only with the keys that made it ----------------------


@pytest.mark.parametrize("serial_configured", [False, True], ids=["discovered-serial", "configured-serial"])
def test_another_users_keys_never_reuse_the_session(serial_configured, aws_env, emulator, world, mfa_code):
    if serial_configured:
        # The profile names alice's device, so both users' lookups meet the same entry.
        aws_env["ASSUME_ROLE_MFA_SERIAL"] = world.mfa_serial
    run = assume(aws_env, "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    bob = seed_world(emulator.endpoint, user_name=f"bob-{uuid.uuid4().hex[:8]}")
    use_keys(aws_env, bob.access_key_id, bob.secret_access_key)
    if serial_configured:
        aws_env["ASSUME_ROLE_MFA_SERIAL"] = bob.mfa_serial
    # No code: alice's session must not serve bob's keys.
    without_code = assume(aws_env, "staging", "read")
    assert without_code.returncode == 2 and "MFA code" in without_code.stderr, without_code.stderr
    as_bob = assume(aws_env, "staging", "read", mfa_code(bob.mfa_serial))
    assert as_bob.returncode == 0, as_bob.stderr
    assert caller_arn(aws_env, as_bob.stdout).endswith(f":assumed-role/read/{bob.user_name}")
    # Back to alice's keys: her own session is still hers.
    use_keys(aws_env, world.access_key_id, world.secret_access_key)
    aws_env.pop("ASSUME_ROLE_MFA_SERIAL", None)
    if serial_configured:
        aws_env["ASSUME_ROLE_MFA_SERIAL"] = world.mfa_serial
    as_alice = assume(aws_env, "staging", "admin")
    assert as_alice.returncode == 0, as_alice.stderr
    assert caller_arn(aws_env, as_alice.stdout).endswith(f":assumed-role/admin/{world.user_name}")
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 2


# -- item: no lock while a person is asked; a run that waits says so ----------------


def test_a_forgotten_prompt_blocks_no_other_run(aws_env, emulator, world, mfa_code):
    # Learn the device first, so both runs below go straight to the MFA step.
    assert run_cli(aws_env, "logout").returncode == 0
    forgotten = pexpect.spawn(
        sys.executable, ["-m", "assume_role", "--shell", "bash", "production", "read"],
        env=aws_env, encoding="utf-8", timeout=30,
    )
    try:
        forgotten.expect_exact("MFA code for")
        # Another terminal brings its own code and is not held up.
        other = assume(aws_env, "staging", "read", mfa_code())
        assert other.returncode == 0, other.stderr
        assert "waiting" not in other.stderr
        assert forgotten.isalive()
        # The person comes back: their code is not needed any more, the session is shared.
        forgotten.send(mfa_code() + "\r")
        forgotten.expect(pexpect.EOF)
        forgotten.close()
        assert forgotten.exitstatus == 0
    finally:
        forgotten.close(force=True)
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1


def test_a_run_that_waits_for_the_lock_says_so_once(aws_env, world, mfa_code):
    directory = Path(aws_env["XDG_CACHE_HOME"]) / "assume-role"
    directory.mkdir(mode=0o700)
    lock = Path(FileBackend(directory)._path(mfa_key("default", world.mfa_serial))).with_suffix(".lock")
    holder = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    run = subprocess.Popen(
        [sys.executable, "-m", "assume_role", "--shell", "bash", "production", "read", mfa_code()],
        env=aws_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = run.stderr.readline()
        assert first.startswith("assume-role: waiting for another assume-role"), first
    finally:
        os.close(holder)  # releases the lock
    stdout, rest = run.communicate(timeout=60)
    assert run.returncode == 0, rest
    assert exports_of(stdout)["AWS_ACCESS_KEY_ID"]
    assert "waiting" not in rest  # said once


# -- item: the keyring store under concurrency ---------------------------------------


def test_parallel_runs_on_a_file_keyring_authenticate_once_and_logout_removes_all(aws_env, emulator, mfa_code, tmp_path):
    aws_env.update(
        ASSUME_ROLE_CACHE="keyring",
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    codes = [mfa_code() for _ in range(24)]
    targets = [(account, role) for account in ("production", "staging") for role in ("read", "admin")]

    def one(i):
        account, role = targets[i % len(targets)]
        return assume(aws_env, account, role, codes[i])

    with ThreadPoolExecutor(max_workers=24) as pool:
        runs = list(pool.map(one, range(24)))
    assert [r.returncode for r in runs] == [0] * 24, [r.stderr for r in runs if r.returncode]
    # Nothing but the note of a run that waited for the one asking AWS, or of
    # one that found the session already made and did not need its code.
    said = [line for r in runs for line in r.stderr.splitlines()]
    expected = ("assume-role: waiting for another assume-role", "assume-role: used the stored ")
    assert [line for line in said if not line.startswith(expected)] == []
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    logout = run_cli(aws_env, "logout")
    # One MFA session and the four roles, each stored once however many runs raced.
    assert logout.stdout.strip() == "removed 5 stored sessions for profile default", logout.stdout
    (stored,) = (tmp_path / "data").rglob("keyring_pass.cfg")
    assert "mfa|" not in stored.read_text() and "role|" not in stored.read_text()
    assert assume(aws_env, "staging", "admin").returncode == 2  # a code is needed again
    # The index beside the file store's entries is not mistaken for a damaged entry.
    file_logout = run_cli(dict(aws_env, ASSUME_ROLE_CACHE="file"), "logout")
    assert file_logout.returncode == 0 and file_logout.stderr == "", file_logout.stderr
