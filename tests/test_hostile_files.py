"""Odd, damaged and hostile files never break an assume, never hang it, never reach the terminal raw.

The accounts file is configuration: a bad one is a usage error (exit 2, one
line). The cache, history and remembered devices only save work: a bad one is
one warning and the assume goes on. Ownership is simulated with chown to
another uid, read-only and full disks with real mounts (the tests run as root
in CI), never with file modes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from support import assert_clean_failure, cannot_run, run_cli
from test_assume import exports_of

from assume_role.aws import profiles
from assume_role.state.store import mfa_key
from assume_role.state.store.file import FileBackend

ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in "1234567890")  # "١٢٣٤٥٦٧٨٩٠"
ROOT_ONLY = pytest.mark.usefixtures("root")


def assume(env, *args, timeout: float = 60):
    return run_cli(env, "--shell", "bash", *args, timeout=timeout)


def cache_dir(env) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "assume-role"


def state_dir(env) -> Path:
    path = Path(env["XDG_STATE_HOME"]) / "assume-role"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def warnings_of(run) -> list[str]:
    lines = run.stderr.splitlines()
    assert all(line.startswith("assume-role: warning: ") for line in lines), run.stderr
    return lines


def assert_assumed(run) -> None:
    """Success with credentials on stdout: what an eval would apply."""
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_ACCESS_KEY_ID"].startswith("ASIA"), run.stdout
    assert "Traceback" not in run.stderr


@contextmanager
def mounted(target: Path, options: str):
    """A tmpfs at ``target`` for the duration of the block."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
    if done.returncode:
        cannot_run(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def remount_read_only(target: Path) -> None:
    subprocess.run(["mount", "--bind", str(target), str(target)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)


# -- optional files: a warning, and the assume goes on ----------------------------------

DAMAGED_HISTORY = {
    "roles-is-a-list": b'{"roles": []}',
    "roles-hold-numbers": b'{"roles": {"111111111111": [1, 2]}}',
    "last-is-a-number": b'{"last": 3}',
    "top-level-list": b"[]",
    "invalid-utf8": b'{"roles": {"\xff\xfe": ["read"]}}',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "not-json": b"\x00garbage",
}


@pytest.mark.parametrize("damage", DAMAGED_HISTORY, ids=list(DAMAGED_HISTORY))
def test_damaged_history_is_one_warning_and_is_rebuilt(damage, aws_env, mfa_code):
    history = state_dir(aws_env) / "history.json"
    history.write_bytes(DAMAGED_HISTORY[damage])
    run = assume(aws_env, "production", "read", mfa_code())
    assert_assumed(run)
    (warning,) = warnings_of(run)
    assert "history file" in warning and "ignoring" in warning
    # Rebuilt: the next run (a cache hit) has nothing to say.
    again = assume(aws_env, "production", "read")
    assert_assumed(again)
    assert again.stderr == ""
    assert json.loads(history.read_text())["last"]["role"] == "read"


@pytest.mark.parametrize("name", ["history.json", "mfa-devices.json"])
def test_a_planted_fifo_never_blocks(name, aws_env, mfa_code):
    os.mkfifo(state_dir(aws_env) / name)
    run = assume(aws_env, "production", "read", mfa_code(), timeout=30)
    assert_assumed(run)
    assert any("FIFO, not a regular file" in w for w in warnings_of(run))


def test_a_symlinked_history_is_not_followed(aws_env, mfa_code, tmp_path):
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({"roles": {"111111111111": ["planted"]}}))
    (state_dir(aws_env) / "history.json").symlink_to(planted)
    completion = run_cli(aws_env, "__complete", "--", "production", "")
    assert completion.returncode == 0 and "planted" not in completion.stdout
    assert completion.stderr == ""  # completion never writes to stderr
    run = assume(aws_env, "production", "read", mfa_code())
    assert_assumed(run)
    assert any("symbolic link" in w for w in warnings_of(run))


@ROOT_ONLY
def test_a_state_directory_of_another_user_is_not_trusted(aws_env, mfa_code):
    state = state_dir(aws_env)
    (state / "history.json").write_text(json.dumps({"roles": {"111111111111": ["planted"]}}))
    os.chown(state / "history.json", 65534, 65534)
    completion = run_cli(aws_env, "__complete", "--", "production", "")
    assert "planted" not in completion.stdout
    os.chown(state, 65534, 65534)
    run = assume(aws_env, "production", "read", mfa_code())
    assert_assumed(run)
    assert any("not a directory owned by you" in w for w in warnings_of(run))
    assert "planted" not in run_cli(aws_env, "__complete", "--", "production", "").stdout


@ROOT_ONLY
def test_a_full_disk_keeps_the_spent_codes_session_for_this_run(aws_env, emulator, mfa_code, tmp_path):
    with mounted(Path(aws_env["XDG_CACHE_HOME"]), "size=64k,mode=0700"):
        filler = Path(aws_env["XDG_CACHE_HOME"]) / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=64"], capture_output=True)
        cache_dir(aws_env).mkdir(mode=0o700)
        aws_env["XDG_STATE_HOME"] = aws_env["XDG_CACHE_HOME"]  # history and devices have no room either
        run = assume(aws_env, "production", "read", mfa_code())
        assert_assumed(run)
        warnings = warnings_of(run)
        assert any("No space left on device" in w for w in warnings)
        # One warning per file, however many times it was tried.
        assert len(warnings) == len(set(warnings))
        assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
        # Nothing was kept, and nothing half-written was left behind.
        assert not list(cache_dir(aws_env).glob("*.json")) and not list(cache_dir(aws_env).glob(".tmp-*"))


@ROOT_ONLY
def test_a_read_only_cache_reuses_what_it_holds_and_warns_on_writes(aws_env, emulator, mfa_code):
    assert_assumed(assume(aws_env, "production", "read", mfa_code()))
    remount_read_only(cache_dir(aws_env))
    try:
        # The stored MFA session is still good for a new role, without a code.
        run = assume(aws_env, "staging", "admin")
        assert_assumed(run)
        assert any("Read-only file system" in w for w in warnings_of(run))
        assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    finally:
        subprocess.run(["umount", str(cache_dir(aws_env))], check=True)


@ROOT_ONLY
def test_a_read_only_empty_cache_fails_nothing(aws_env, emulator, mfa_code):
    with mounted(cache_dir(aws_env), "ro,mode=0700"):
        run = assume(aws_env, "production", "read", mfa_code())
        assert_assumed(run)
        assert any("Read-only file system" in w for w in warnings_of(run))


def test_a_symlink_at_the_lock_path_is_a_warning(aws_env, world, mfa_code, tmp_path):
    lock = Path(FileBackend(cache_dir(aws_env))._path(mfa_key("default", world.mfa_serial))).with_suffix(".lock")
    lock.parent.mkdir(mode=0o700)
    lock.symlink_to(tmp_path / "elsewhere")
    run = assume(aws_env, "production", "read", mfa_code())
    assert_assumed(run)
    assert any("cannot lock" in w and "symbolic link" in w for w in warnings_of(run))
    assert not (tmp_path / "elsewhere").exists()
    # The session was still kept: the next role needs no code.
    assert_assumed(assume(aws_env, "staging", "read"))


def test_stale_temporary_files_are_swept_and_logout_removes_all(aws_env, mfa_code):
    assert_assumed(assume(aws_env, "production", "read", mfa_code()))
    directory = cache_dir(aws_env)
    entry = next(directory.glob("mfa-*.json"))
    # What a run killed between write and rename leaves: a whole session.
    stale, fresh = directory / ".tmp-killed.json", directory / ".tmp-running.json"
    for path in (stale, fresh):
        path.write_bytes(entry.read_bytes())
        path.chmod(0o600)
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    assert_assumed(assume(aws_env, "staging", "read"))
    assert not stale.exists() and fresh.exists()
    assert run_cli(aws_env, "logout").returncode == 0
    assert not list(directory.glob("*.json")), list(directory.iterdir())


def _can_trace() -> bool:
    if not shutil.which("strace"):
        if os.environ.get("CI"):
            pytest.fail("strace is missing (.ci/run installs it)")
        return False
    # A container may forbid ptrace altogether.
    return subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"], capture_output=True).returncode == 0


def test_kill_9_during_a_cache_write_leaves_no_session_behind(aws_env, mfa_code):
    if not _can_trace():
        pytest.skip("needs strace, allowed to trace, to hold a write open")
    # strace holds every rename for a while, so the run can be killed with
    # its session written to a temporary file that is not yet renamed.
    hold = "rename,renameat,renameat2"
    command = ["strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e", f"trace={hold}",
               "-e", f"inject={hold}:delay_enter=10000000",
               sys.executable, "-m", "assume_role", "--shell", "bash", "production", "read", mfa_code()]
    run = subprocess.Popen(command, env=aws_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    directory = cache_dir(aws_env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            # Written, and waiting to be renamed (the files remembered before it are renamed in turn).
            if any("SessionToken" in _text(p) for p in directory.glob(".tmp-*.json")):
                break
            time.sleep(0.02)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    (leftover,) = directory.glob(".tmp-*.json")
    assert "SessionToken" in leftover.read_text()  # what the issue is about: a whole session
    # Too fresh to be swept by a run (it could be a write in progress)...
    assert_assumed(assume(aws_env, "staging", "read", mfa_code()))
    assert leftover.exists()
    # ...but logout removes it, and a run sweeps it once it is stale.
    assert run_cli(aws_env, "logout").returncode == 0
    # Only what holds no secret stays: the profile settings remembered from the AWS files.
    left = [p.name for p in directory.glob("*.json") if p.name != profiles.REMEMBERED_FILE]
    assert not left, list(directory.iterdir())


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


DAMAGED_EXPIRATION = {"numeric": 1893456000, "null": None, "out-of-range": "9999-12-31T23:59:59-14:00",
                      "a-list": [2030], "not-a-date": "soon"}


@pytest.mark.parametrize("value", DAMAGED_EXPIRATION.values(), ids=list(DAMAGED_EXPIRATION))
def test_damaged_expiration_is_ignored_and_rebuilt(value, aws_env, emulator, mfa_code):
    assert_assumed(assume(aws_env, "production", "read", mfa_code()))
    for path in cache_dir(aws_env).glob("*.json"):
        entry = json.loads(path.read_text())
        entry["data"]["credentials"]["Expiration"] = value
        path.write_text(json.dumps(entry))
    run = assume(aws_env, "production", "read", mfa_code())
    assert_assumed(run)
    (warning,) = warnings_of(run)
    assert "damaged cache entry" in warning
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 2
    again = assume(aws_env, "production", "read")
    assert_assumed(again)
    assert again.stderr == ""


def test_a_region_planted_in_a_cached_role_is_never_exported(aws_env, mfa_code):
    # The region is resolved for every run, never read back from the cache.
    assert_assumed(assume(aws_env, "production", "read", mfa_code()))
    (path,) = cache_dir(aws_env).glob("role-*.json")
    entry = json.loads(path.read_text())
    entry["data"]["region"] = "us-east-1'; touch /tmp/owned; '"
    path.write_text(json.dumps(entry))
    run = assume(aws_env, "production", "read")
    assert_assumed(run)
    assert exports_of(run.stdout)["AWS_REGION"] == "us-east-1"
    assert "owned" not in run.stdout


# -- the accounts file: exit 2 with one line, at once ---------------------------------


def _accounts(env) -> Path:
    return Path(env["ASSUME_ROLE_ACCOUNTS_FILE"])


def test_an_accounts_fifo_fails_at_once(aws_env):
    path = _accounts(aws_env)
    path.unlink()
    os.mkfifo(path)
    assert_clean_failure(assume(aws_env, "production", "read", timeout=20), 2, "FIFO")
    # Tab does not hang either: completion offers nothing and says nothing.
    completion = run_cli(aws_env, "__complete", "--", "", timeout=20)
    assert completion.returncode == 0 and completion.stderr == ""


@pytest.mark.parametrize(
    "target, fragment",
    [("/dev/zero", "is a device"), ("/dev/urandom", "is a device"), ("/tmp", "is a directory"),
     ("/proc/self/mem", "cannot be read")],
)
def test_an_accounts_file_that_is_a_device_fails_at_once(target, fragment, aws_env):
    path = _accounts(aws_env)
    path.unlink()
    path.symlink_to(target)  # a symlink is allowed (dotfiles), what it names is checked
    assert_clean_failure(assume(aws_env, "production", "read", timeout=20), 2, fragment)


def test_an_accounts_file_that_never_ends_is_refused(aws_env):
    path = _accounts(aws_env)
    with path.open("r+b") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: costs no disk
    assert_clean_failure(assume(aws_env, "production", "read"), 2, "larger than")


BAD_ACCOUNTS = {
    "invalid-utf8": (b'{"production": "111111111111", "\xff": "1"}', "UTF-8"),
    "deeply-nested": (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nests too deeply"),
    "arabic-indic-id": (json.dumps({"production": ARABIC_INDIC + "12"}).encode(), "12 digits"),
    "arabic-indic-region": (
        json.dumps({"production": {"id": "111111111111", "region": "us-east-" + ARABIC_INDIC[0]}}).encode(),
        "region",
    ),
    "hostile-region": (
        json.dumps({"production": {"id": "111111111111", "region": "us-east-1\n; rm -rf ~"}}).encode(),
        "region",
    ),
}


@pytest.mark.parametrize("case", BAD_ACCOUNTS, ids=list(BAD_ACCOUNTS))
def test_a_bad_accounts_file_is_one_line_and_exit_2(case, aws_env):
    content, fragment = BAD_ACCOUNTS[case]
    _accounts(aws_env).write_bytes(content)
    assert_clean_failure(assume(aws_env, "production", "read", "123456"), 2, fragment)


@pytest.mark.parametrize(
    "args, code",
    [
        ((ARABIC_INDIC + "12", "read"), 2),
        (("production", "read", "123456", "us-east-" + ARABIC_INDIC[0]), 2),
        (("production", "read", ARABIC_INDIC[:6]), 4),
    ],
    ids=["account-id", "region", "mfa-code"],
)
def test_only_ascii_digits_count(args, code, aws_env, emulator):
    assert_clean_failure(assume(aws_env, *args), code)
    assert sum(emulator.control.calls().values()) == 0


@pytest.mark.parametrize("variable, value", [("AWS_ROLE_SESSION_TIMEOUT", "\u0663\u0666\u0660\u0660"),
                                             ("AWS_REGION", "eu-west-\u0661")])
def test_only_ascii_digits_count_in_the_environment(variable, value, aws_env, emulator):
    aws_env[variable] = value
    assert_clean_failure(assume(aws_env, "production", "read", "123456"), 2, variable if "TIMEOUT" in variable else "region")
    assert sum(emulator.control.calls().values()) == 0


# -- what reaches the terminal -------------------------------------------------------

ESCAPE = "\x1b]0;owned\x07\x1b[2J"


def test_escape_sequences_in_an_alias_never_reach_the_terminal(aws_env, world, mfa_code):
    _accounts(aws_env).write_text(json.dumps({f"prod{ESCAPE}": world.production_account_id}))
    run = assume(aws_env, "-v", f"prod{ESCAPE}", "read", mfa_code())
    assert_assumed(run)
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert "account prod?]0;owned??[2J (" in run.stderr
    env = dict(aws_env, **exports_of(run.stdout))
    env["ASSUME_ROLE_EXPIRES_AT"] = str(time.time() + 600)
    status = run_cli(env, "status")
    assert status.returncode == 0, status.stderr
    assert "\x1b" not in status.stdout and "\x07" not in status.stdout
    assert status.stdout.startswith("prod?]0;owned??[2J:read ")


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e20", "-5", "0x10", "１２"])
def test_status_survives_any_expiry_value(value, aws_env):
    env = dict(aws_env, AWS_ACCOUNT_NAME="production", AWS_ACCOUNT_ROLE="read", AWS_ACCESS_KEY_ID="ASIAX",
               ASSUME_ROLE_ACCESS_KEY_ID="ASIAX", ASSUME_ROLE_EXPIRES_AT=value)
    run = run_cli(env, "status")
    assert run.returncode == 7, run.stderr
    assert run.stdout.startswith("no role assumed in this shell\n") and run.stderr == ""


@pytest.mark.parametrize("variable", ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"])
def test_aws_files_that_are_fifos_fail_at_once(variable, aws_env, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    aws_env[variable] = str(fifo)
    assert_clean_failure(assume(aws_env, "production", "read", "123456", timeout=20), 2, "FIFO")
