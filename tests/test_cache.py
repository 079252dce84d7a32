"""Sessions that outlive one shell: the store backends against the emulator."""

from __future__ import annotations

import json
import os
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli
from test_assume import eval_line, exports_of, shell_session
from test_imports import probe


def cache_dir(env) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "assume-role"


def entries(env, kind: str) -> list[Path]:
    return sorted(cache_dir(env).glob(f"{kind}-*.json"))


def assume(env, *args):
    return run_cli(env, "--shell", "bash", *args)


def expire_in(entry: Path, seconds: float) -> None:
    """Make the session stored in ``entry`` end ``seconds`` from now."""
    stored = json.loads(entry.read_text())
    end = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    stored["data"]["credentials"]["Expiration"] = end.isoformat()
    entry.write_text(json.dumps(stored))


# Stored sessions are reused only with more than five minutes left. Written
# out here: a test that read the margin from the code would follow it to 0.
REUSE_MARGIN = 5 * 60
# Each side of a margin, half a minute away: far more than a run takes, and
# close enough that a margin off by a minute or more fails one side.
EDGES = pytest.mark.parametrize("left, reused", [(30, True), (-30, False)], ids=["just-over", "just-under"])


def test_twenty_concurrent_runs_authenticate_once(aws_env, emulator, mfa_code):
    codes = [mfa_code() for _ in range(20)]
    roles = ["read", "admin"]

    def one(i):
        # Separate processes, as from 20 terminals opened at once.
        return assume(aws_env, ["production", "staging"][i % 2], roles[i // 2 % 2], codes[i])

    with ThreadPoolExecutor(max_workers=20) as pool:
        runs = list(pool.map(one, range(20)))
    assert [r.returncode for r in runs] == [0] * 20, [r.stderr for r in runs if r.returncode]
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    assert all(exports_of(r.stdout)["AWS_ACCESS_KEY_ID"] for r in runs)


def test_second_shell_reuses_the_session_without_a_code(aws_env, emulator, mfa_code):
    first = shell_session("zsh", aws_env, [eval_line("zsh", "production", "read", mfa_code())])
    assert first.returncode == 0, first.stderr
    second = shell_session("fish", aws_env, [eval_line("fish", "staging", "admin"), "echo $AWS_ACCOUNT_NAME"])
    assert second.stdout.strip() == "staging", second.stderr
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1


def test_files_are_private(aws_env, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    directory = cache_dir(aws_env)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = entries(aws_env, "mfa") + entries(aws_env, "role")
    assert len(files) == 2
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    # No leftovers from the atomic writes.
    assert not list(directory.glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong-shape"])
def test_damaged_entries_are_ignored_and_rebuilt(damage, aws_env, emulator, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    for path in entries(aws_env, "mfa") + entries(aws_env, "role"):
        text = path.read_text()
        path.write_text({"garbage": "\x00not json", "truncated": text[: len(text) // 2], "empty": "",
                         "wrong-shape": json.dumps({"format": 1, "key": json.loads(text)["key"], "data": {"x": 1}})}[damage])
    run = assume(aws_env, "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert "warning: ignoring" in run.stderr and "damaged" in run.stderr
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 2
    # Rebuilt: the next run needs neither a code nor a warning.
    again = assume(aws_env, "production", "read")
    assert again.returncode == 0 and again.stderr == ""


def test_readable_entries_are_refused(aws_env, emulator, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    for path in entries(aws_env, "mfa") + entries(aws_env, "role"):
        path.chmod(0o644)
    run = assume(aws_env, "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert "ignoring cache entry" in run.stderr and "others can read it" in run.stderr
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in entries(aws_env, "mfa"))


@pytest.mark.usefixtures("root")
def test_foreign_owned_entries_are_refused(aws_env, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    for path in entries(aws_env, "mfa") + entries(aws_env, "role"):
        os.chown(path, 65534, 65534)
    run = assume(aws_env, "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert "belongs to another user" in run.stderr


def test_expired_mfa_session_asks_again(aws_env, emulator, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    (mfa_entry,) = entries(aws_env, "mfa")
    entry = json.loads(mfa_entry.read_text())
    entry["data"]["credentials"]["Expiration"] = "2020-01-01T00:00:00+00:00"
    mfa_entry.write_text(json.dumps(entry))
    without_code = assume(aws_env, "staging", "read")
    assert without_code.returncode == 2 and "MFA code" in without_code.stderr
    assert assume(aws_env, "staging", "read", mfa_code()).returncode == 0
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 2


@EDGES
def test_mfa_session_is_reused_until_five_minutes_before_its_end(left, reused, aws_env, emulator, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    (mfa_entry,) = entries(aws_env, "mfa")
    expire_in(mfa_entry, REUSE_MARGIN + left)
    # Another role: no stored role credentials can answer, only the MFA session.
    run = assume(aws_env, "staging", "read")
    if reused:
        assert run.returncode == 0, run.stderr
        assert exports_of(run.stdout)["AWS_ACCOUNT_NAME"] == "staging"
    else:
        assert_clean_failure(run, 2, "MFA code")
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1


@EDGES
def test_role_credentials_are_reused_until_five_minutes_before_their_end(left, reused, aws_env, emulator, mfa_code):
    first = assume(aws_env, "production", "read", mfa_code())
    assert first.returncode == 0, first.stderr
    (role_entry,) = entries(aws_env, "role")
    expire_in(role_entry, REUSE_MARGIN + left)
    again = assume(aws_env, "production", "read")
    assert again.returncode == 0, again.stderr
    same_keys = exports_of(again.stdout)["AWS_ACCESS_KEY_ID"] == exports_of(first.stdout)["AWS_ACCESS_KEY_ID"]
    assert same_keys == reused
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == (1 if reused else 2)


def test_session_revoked_by_aws_asks_again(aws_env, emulator, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    emulator.control.expire_sessions(kind="session")
    run = assume(aws_env, "staging", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 2


def test_keyring_backend_with_a_file_keyring(aws_env, emulator, mfa_code, tmp_path):
    aws_env.update(
        ASSUME_ROLE_CACHE="keyring",
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    switch = assume(aws_env, "staging", "admin")
    assert switch.returncode == 0, switch.stderr
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    stored = list((tmp_path / "data").rglob("keyring_pass.cfg"))
    # keyrings.alt escapes the service name "assume-role" in its section header.
    assert stored and "[assume_2Drole]" in stored[0].read_text()
    assert not entries(aws_env, "mfa")  # nothing went to the file backend
    logout = run_cli(aws_env, "logout")
    assert logout.stdout.strip() == "removed 3 stored sessions for profile default"
    assert assume(aws_env, "staging", "admin").returncode == 2  # a code is needed again


def test_none_backend_asks_every_time(aws_env, emulator, mfa_code):
    aws_env["ASSUME_ROLE_CACHE"] = "none"
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    assert assume(aws_env, "production", "read").returncode == 2
    assert not cache_dir(aws_env).exists() or not entries(aws_env, "mfa")


def test_unknown_backend_is_a_usage_error(aws_env):
    aws_env["ASSUME_ROLE_CACHE"] = "tape"
    run = assume(aws_env, "production", "read", "123456")
    assert run.returncode == 2 and "ASSUME_ROLE_CACHE" in run.stderr and run.stdout == ""


def test_cache_hit_imports_no_botocore(aws_env, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    stdout, heavy = probe(aws_env, "--shell", "bash", "production", "read")
    assert "export AWS_ACCESS_KEY_ID=" in stdout
    assert heavy == set()


def test_status_and_logout(aws_env, mfa_code, world):
    result = shell_session(
        "bash", aws_env, [eval_line("bash", "production", "read", mfa_code()), f"{sys.executable} -m assume_role status"]
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"production:read ({world.production_account_id}) in us-east-1"
    assert lines[1].endswith(f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}")
    assert lines[2].startswith("role session: 59m left") or lines[2].startswith("role session: 1h00m left")
    assert lines[3] == "sign-in:      bastion MFA: profile default, an IAM user's keys"
    assert lines[4].startswith("MFA session:  11h5") and "kept in file" in lines[4]
    nothing = run_cli(aws_env, "status")
    assert nothing.returncode == 7 and nothing.stdout.startswith("no role assumed")
    aws_env["ASSUME_ROLE_EXPIRES_AT"] = "1000"
    aws_env.update(AWS_ACCOUNT_NAME="production", AWS_ACCOUNT_ROLE="read")
    aws_env.update(AWS_ACCESS_KEY_ID="ASIAOLD", ASSUME_ROLE_ACCESS_KEY_ID="ASIAOLD")
    expired = run_cli(aws_env, "status")
    assert expired.returncode == 7 and "role session: expired" in expired.stdout
    assert run_cli(aws_env, "logout").stdout.strip() == "removed 2 stored sessions for profile default"
    assert "MFA session:  none" in run_cli(aws_env, "status").stdout


def test_logout_forgets_the_profile_it_names_or_every_profile(aws_env, mfa_code):
    assert assume(aws_env, "production", "read", mfa_code()).returncode == 0
    # Another profile's logout leaves this one's MFA session and role credentials alone.
    other = run_cli(aws_env, "logout", "--profile", "ci-bastion")
    assert other.stdout.strip() == "removed 0 stored sessions for profile ci-bastion"
    assert assume(aws_env, "staging", "read").returncode == 0  # no code needed: the MFA session is kept
    everything = run_cli(aws_env, "logout", "--all")
    assert everything.stdout.strip() == "removed 3 stored sessions for all profiles"
    assert_clean_failure(assume(aws_env, "production", "read"), 2, "MFA code")


def test_status_check_asks_aws(aws_env, mfa_code, world):
    result = shell_session(
        "bash", aws_env,
        [eval_line("bash", "staging", "admin", mfa_code()), f"{sys.executable} -m assume_role status --check"],
    )
    assert f"aws says:     arn:aws:sts::{world.staging_account_id}:assumed-role/admin/" in result.stdout


def _status_after(aws_env, mfa_code, *lines: str):
    """status and status --check in a bash that assumed a role, then ran ``lines``."""
    status = f"{sys.executable} -m assume_role status"
    result = shell_session(
        "bash",
        aws_env,
        [eval_line("bash", "production", "read", mfa_code()), *lines,
         f"rc=0; {status} || rc=$?; echo rc=$rc", f"rc=0; {status} --check || rc=$?; echo rc=$rc"],
    )
    assert result.stderr == "", result.stderr
    return result.stdout


def test_status_when_another_tool_replaced_the_credentials(aws_env, mfa_code, world):
    # Another tool (aws-vault, a script) exports the bastion user's own keys
    # over the role's: the names assume-role exported are still there.
    out = _status_after(
        aws_env, mfa_code,
        f"export AWS_ACCESS_KEY_ID={world.access_key_id} AWS_SECRET_ACCESS_KEY={world.secret_access_key}",
        "unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN",
    )
    plain, check = out.split("rc=7\n")[:2]
    assert plain.startswith("no role assumed by assume-role in this shell: AWS_ACCESS_KEY_ID was replaced")
    assert "production:read" not in plain
    assert check.startswith("no role assumed by assume-role")
    # --check still says who the credentials in use belong to.
    assert f"aws says:     {world.user_arn}" in check
    assert out.endswith("rc=7\n") and out.count("rc=7") == 2


def test_status_when_the_credentials_were_removed(aws_env, mfa_code):
    out = _status_after(aws_env, mfa_code, "unset AWS_ACCESS_KEY_ID")
    assert out.startswith("no role assumed by assume-role in this shell: AWS_ACCESS_KEY_ID was removed")
    assert out.count("rc=7") == 2 and "aws says" not in out


def test_status_check_fails_when_aws_names_another_identity(aws_env, mfa_code, world):
    # Both key variables agree, but on keys that are not the role's session.
    out = _status_after(
        aws_env, mfa_code,
        f"export AWS_ACCESS_KEY_ID={world.access_key_id} ASSUME_ROLE_ACCESS_KEY_ID={world.access_key_id}",
        f"export AWS_SECRET_ACCESS_KEY={world.secret_access_key}; unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN",
    )
    plain, check = out.split("rc=")[0], out.split("rc=")[1].split("\n", 1)[1]
    assert plain.startswith("production:read") and "rc=0" in out
    assert f"aws says:     {world.user_arn}" in check
    assert "mismatch:     these credentials are not a session of read in" in check
    assert out.endswith("rc=7\n")


def test_status_check_passes_for_the_role_session(aws_env, mfa_code, world):
    out = _status_after(aws_env, mfa_code)
    assert f"aws says:     arn:aws:sts::{world.production_account_id}:assumed-role/read/" in out
    assert "mismatch" not in out and out.count("rc=0") == 2
