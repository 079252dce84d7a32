"""``assume-role credential-process``: the role for the AWS CLI, SDKs and any tool with a profile."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pexpect
import pytest

from support import assert_clean_failure, require_root, run_cli
from test_cache import EDGES, entries, expire_in
from test_assume import exports_of
from test_hostile_files import ROOT_ONLY, _can_trace, remount_read_only
from test_imports import loaded

from assume_role.accounts import aws_profiles as aws_config
from assume_role.accounts import Account

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin"
CALLERS = 12


@pytest.fixture
def tool_env(aws_env, world, emulator, tmp_path):
    """The sandbox plus an `assume-role` program and an MFA command that counts its runs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "assume-role"
    helper.write_text(
        f"#!/bin/sh\nPYTHONPATH='{PLUGIN_DIR}' exec '{sys.executable}' -m assume_role \"$@\"\n"
    )
    helper.chmod(0o755)
    runs = tmp_path / "mfa-runs"
    mfa = bin_dir / "mfa-code"
    mfa.write_text(
        f"#!/bin/sh\necho run >> '{runs}'\n"
        f"exec '{sys.executable}' -c 'from assume_role_lab.emulator.control import Control; "
        f"print(Control(\"{emulator.endpoint}\").mfa_code(\"{world.mfa_serial}\"))'\n"
    )
    mfa.chmod(0o755)
    return {**aws_env, "PATH": f"{bin_dir}:{aws_env['PATH']}", "ASSUME_ROLE_MFA_PROCESS": str(mfa)}, runs


def list_roles(env: dict, world) -> None:
    """The accounts file in the form that names each account's roles."""
    Path(env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({alias: {"id": account_id, "roles": list(world.roles)} for alias, account_id in world.accounts.items()})
    )


def test_prints_version_1_json(aws_env, world, mfa_code):
    run = run_cli(aws_env, "credential-process", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    document = json.loads(run.stdout)
    assert set(document) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert document["Version"] == 1 and document["AccessKeyId"].startswith("ASIA")
    # The form AWS documents for credential_process: whole seconds, UTC.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["Expiration"]), document["Expiration"]
    left = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00")) - datetime.now(timezone.utc)
    assert timedelta(minutes=50) < left <= timedelta(hours=1)


def test_the_document_is_written_as_json_writes_it(aws_env, world, mfa_code):
    # Written without json's Python layer (a cache hit must not import re):
    # byte for byte what json.dumps gives, whatever the values hold.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from assume_role.commands.credential_process import _json_object

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.text(max_size=12), st.one_of(st.none(), st.integers(), st.text()), max_size=6))
    def check(values):
        assert _json_object(values) == json.dumps(values)

    check()
    run = run_cli(aws_env, "credential-process", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert run.stdout == json.dumps(json.loads(run.stdout)) + "\n"


@EDGES
def test_stored_credentials_are_handed_out_while_16_minutes_are_left(left, reused, aws_env, emulator, mfa_code):
    # The README's promise: SDKs ask again 15 minutes before the end, so
    # credentials with less than 16 minutes left are not handed out again.
    first = run_cli(aws_env, "credential-process", "production", "read", mfa_code())
    assert first.returncode == 0, first.stderr
    (role_entry,) = entries(aws_env, "role")
    expire_in(role_entry, 16 * 60 + left)
    again = run_cli(aws_env, "credential-process", "production", "read")
    assert again.returncode == 0, again.stderr
    same_keys = json.loads(again.stdout)["AccessKeyId"] == json.loads(first.stdout)["AccessKeyId"]
    assert same_keys == reused
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == (1 if reused else 2)


def test_no_terminal_and_no_mfa_command_says_what_to_run(aws_env):
    run = subprocess.run(
        [sys.executable, "-m", "assume_role", "credential-process", "production", "read"],
        env=aws_env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
        start_new_session=True,  # no controlling terminal either
    )
    assert_clean_failure(run, 2, "run `assume-role production read` in a terminal")


def test_asks_on_the_controlling_terminal_when_stdin_is_not_one(aws_env, mfa_code):
    # A tool that runs the command with pipes, from a terminal a person sits at.
    child = pexpect.spawn(
        "sh", ["-c", f"'{sys.executable}' -m assume_role credential-process production read </dev/null"],
        env=aws_env, encoding="utf-8", timeout=60,
    )
    child.expect("MFA code for")
    child.sendline(mfa_code())
    child.expect(r'\{"Version": 1, "AccessKeyId": "ASIA')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_cache_hit_imports_no_botocore(aws_env, mfa_code):
    assert run_cli(aws_env, "credential-process", "production", "read", mfa_code()).returncode == 0
    assert loaded(aws_env, "credential-process", "production", "read") == set()


def test_a_dozen_tools_at_once_share_one_code(tool_env, world, emulator):
    env, runs = tool_env
    list_roles(env, world)
    written = run_cli(env, "credential-process", "--profiles", "--write")
    assert written.returncode == 0, written.stderr
    assert "[profile production-read]" in Path(env["AWS_CONFIG_FILE"]).read_text()
    aws_cli = [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "production-read",
               "--query", "Arn", "--output", "text"]
    sdk = [sys.executable, "-c",
           'import boto3; print(boto3.Session(profile_name="production-read")'
           '.client("sts").get_caller_identity()["Arn"])']
    # No AWS_REGION: as in a new terminal, each profile must name its region.
    assert not {"AWS_REGION", "AWS_DEFAULT_REGION"} & set(env)
    processes = [
        subprocess.Popen(aws_cli if i % 2 else sdk, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
        for i in range(CALLERS)
    ]
    results = [(p.communicate(timeout=120), p.returncode) for p in processes]
    arn = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    for (out, err), status in results:
        assert status == 0, err
        assert out.strip() == arn
    assert runs.read_text().splitlines() == ["run"]
    assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1


def test_profiles_run_the_program_by_its_full_path_whatever_the_tools_path(tool_env, world, tmp_path):
    env, _ = tool_env
    list_roles(env, world)
    written = run_cli(env, "credential-process", "--profiles", "--write")
    assert written.returncode == 0, written.stderr
    # An IDE started from the desktop has another PATH, without assume-role on it.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sdk = subprocess.run(
        [sys.executable, "-c",
         'import boto3; print(boto3.Session(profile_name="production-read").client("sts").get_caller_identity()["Arn"])'],
        env={**env, "PATH": str(elsewhere)}, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    # Written where assume-role is not on PATH: the profiles name it plainly, for the user to adjust.
    plain = run_cli({**env, "PATH": str(elsewhere)}, "credential-process", "--profiles")
    assert plain.returncode == 0, plain.stderr
    assert "credential_process = assume-role credential-process production read\n" in plain.stdout


# -- profiles for the accounts file ------------------------------------------------

ACCOUNTS = [
    Account("production", "111111111111", ("read", "admin"), "eu-west-1"),
    Account("staging", "222222222222", ("read",)),
    Account("bad name", "333333333333", ("read",)),
    Account("noroles", "444444444444"),
]

USER_CONFIG = """\
# my settings
[default]
region = us-east-1
output = text  ; inline note

[profile production-admin]
# mine, by hand
role_arn = arn:aws:iam::111111111111:role/admin
source_profile = default

[profile other]
output = json
"""


def fallback_region(account_region):
    return account_region or "ap-south-1"


def test_profiles_are_printed_for_every_listed_role():
    text = aws_config.render(aws_config.credential_process_profiles(ACCOUNTS, "/opt/bin/assume-role", fallback_region))
    assert text == (
        "[profile production-read]\n"
        "credential_process = /opt/bin/assume-role credential-process production read\n"
        "region = eu-west-1\n\n"
        "[profile production-admin]\n"
        "credential_process = /opt/bin/assume-role credential-process production admin\n"
        "region = eu-west-1\n\n"
        "[profile staging-read]\n"
        "credential_process = /opt/bin/assume-role credential-process staging read\n"
        "region = ap-south-1\n\n"
    )


def test_merge_keeps_comments_and_the_users_profiles():
    sections = aws_config.credential_process_profiles(ACCOUNTS, "assume-role", fallback_region)
    merged, done = aws_config.merge(USER_CONFIG, sections)
    assert merged.startswith(USER_CONFIG)  # every line of the user's, byte for byte
    assert "[profile production-read]\n" in merged and "[profile staging-read]\n" in merged
    assert merged.count("[profile production-admin]") == 1
    assert done.kept == ["production-admin"]
    # Again: nothing changes. An outdated profile of ours is updated in place.
    assert aws_config.merge(merged, sections)[0] == merged
    moved = aws_config.credential_process_profiles(ACCOUNTS, "/new/assume-role", fallback_region)
    updated, done = aws_config.merge(merged, moved)
    assert updated.startswith(USER_CONFIG)
    assert "credential_process = /new/assume-role credential-process staging read\n" in updated
    assert updated.count("[profile staging-read]") == 1
    assert done.updated == ["production-read", "staging-read"]


OLD_PROFILES = """\
[profile production-read]
credential_process = assume-role credential-process production read
output = json
# mine

[profile staging-read]
credential_process = assume-role credential-process staging read
region = sa-east-1
"""


def test_merge_changes_only_the_settings_it_writes():
    # Profiles written before regions were: the region is added, the user's
    # lines in them stay. A region set by hand where the account entry names
    # none is kept; the account entry's region replaces any other.
    merged, done = aws_config.merge(OLD_PROFILES, aws_config.credential_process_profiles(ACCOUNTS, "assume-role",
                                                                                          fallback_region))
    assert merged.startswith(
        "[profile production-read]\n"
        "credential_process = assume-role credential-process production read\n"
        "output = json\n"
        "region = eu-west-1\n"
        "# mine\n\n"
        "[profile staging-read]\n"
        "credential_process = assume-role credential-process staging read\n"
        "region = sa-east-1\n"
    )
    assert done.updated == ["production-read"] and done.unchanged == ["staging-read"]
    moved = [Account("production", "111111111111", ("read",), "eu-north-1")]
    merged, done = aws_config.merge(merged, aws_config.credential_process_profiles(moved, "assume-role",
                                                                                    fallback_region))
    assert "output = json\nregion = eu-north-1\n# mine\n" in merged and done.updated == ["production-read"]


def write_profiles(env: dict):
    return run_cli(env, "credential-process", "--profiles", "--write", "--command", "assume-role")


def backups(config: Path) -> list[Path]:
    return sorted(config.parent.glob(f"{config.name}.*.bak"))


def temporary_files(config: Path) -> list[Path]:
    return list(config.parent.glob(f".{config.name}.*"))


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def region_of(config: Path, profile: str) -> str | None:
    parser = configparser.RawConfigParser()
    parser.read_string(config.read_text())
    return parser.get(f"profile {profile}", "region", fallback=None)


def test_each_profile_names_the_region_the_main_command_would_use(aws_env, world, mfa_code):
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps({
        "production": {"id": world.production_account_id, "roles": ["read"], "region": "eu-west-1"},
        "staging": {"id": world.staging_account_id, "roles": ["read"]},
    }))
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text("[default]\nregion = eu-west-3\n")  # the bastion profile's
    # A region of the shell that writes them is not fixed in the profiles:
    # the SDKs read the variable themselves, before the profile's.
    written = write_profiles({**aws_env, "AWS_REGION": "ap-south-1"})
    assert written.returncode == 0, written.stderr
    assert region_of(config, "production-read") == "eu-west-1"  # the account's
    assert region_of(config, "staging-read") == "eu-west-3"  # else the bastion profile's
    shell = run_cli(aws_env, "--shell", "bash", "staging", "read", mfa_code())
    assert exports_of(shell.stdout)["AWS_REGION"] == "eu-west-3"
    # What a new terminal has: no region in the environment. The SDK and the CLI find the profile's.
    sdk = subprocess.run(
        [sys.executable, "-c", 'import boto3; print(boto3.Session(profile_name="staging-read").region_name)'],
        env=aws_env, capture_output=True, text=True, timeout=60,
    )
    assert sdk.stdout.strip() == "eu-west-3", sdk.stderr
    cli = subprocess.run([sys.executable, "-m", "awscli", "configure", "get", "region", "--profile", "staging-read"],
                         env=aws_env, capture_output=True, text=True, timeout=60)
    assert cli.stdout.strip() == "eu-west-3", cli.stderr
    # With no region anywhere, the main command's default.
    config.write_text("[default]\n")
    assert write_profiles(aws_env).returncode == 0
    assert region_of(config, "staging-read") == "us-east-1"


def test_write_keeps_a_backup_and_refuses_a_file_of_another_user(aws_env, world):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG)
    config.chmod(0o640)
    run = write_profiles(aws_env)
    assert run.returncode == 0, run.stderr
    (backup,) = backups(config)
    assert backup.read_text() == USER_CONFIG
    assert f"the previous version is in {backup}" in run.stderr
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    assert "[profile production-read]" in config.read_text()
    assert not temporary_files(config)

    require_root()
    os.chown(config, 12345, 12345)
    before = config.read_text()
    refused = run_cli(aws_env, "credential-process", "--profiles", "--write")
    assert_clean_failure(refused, 2, "belongs to another user")
    assert config.read_text() == before


@pytest.mark.parametrize(
    "listed, args, fragment",
    [
        (True, ["--profiles", "production", "read"], "give no ACCOUNT or ROLE"),
        (True, ["--profiles", "--write", "production"], "give no ACCOUNT or ROLE"),
        # The sandbox's own accounts file names no roles: no profile can be made from it.
        (False, ["--profiles"], "lists its roles: add \"roles\": [...] to an entry"),
        (False, ["--profiles", "--write"], "lists its roles"),
        # Without --profiles they are not options of the role's JSON: refused before anything is asked.
        (True, ["production", "read", "--write"], "--write and --command go with --profiles"),
        (True, ["production", "read", "--command", "assume-role"], "--write and --command go with --profiles"),
    ],
)
def test_profiles_that_cannot_be_meant_are_usage_errors_and_write_nothing(listed, args, fragment, aws_env, world):
    if listed:
        list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    before = config.read_text()
    assert_clean_failure(run_cli(aws_env, "credential-process", *args), 2, fragment)
    assert config.read_text() == before and not backups(config)


def test_profiles_without_write_are_printed_and_the_config_is_left_alone(aws_env, world):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    before = config.read_text()
    run = run_cli(aws_env, "credential-process", "--profiles")
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "[profile production-read]" in run.stdout
    assert config.read_text() == before and not backups(config)


def test_no_backup_is_ever_overwritten(aws_env, world):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG)
    # Backups already there under every name the next minute's writes could
    # take first (backups are named to the second).
    now = time.time()
    taken = {config.with_name(f"config.{time.strftime('%Y%m%d-%H%M%S', time.localtime(now + s))}.bak")
             for s in range(-1, 60)}
    for path in taken:
        path.write_text("an older backup\n")
    versions = [USER_CONFIG]
    for command in ("/one/assume-role", "/two/assume-role"):
        run = run_cli(aws_env, "credential-process", "--profiles", "--write", "--command", command)
        assert run.returncode == 0, run.stderr
        versions.append(config.read_text())
    assert all(path.read_text() == "an older backup\n" for path in taken)
    new = [path for path in backups(config) if path not in taken]
    assert sorted(path.read_text() for path in new) == sorted(versions[:2])


@ROOT_ONLY
@pytest.mark.parametrize("read_only", ["file", "directory"])
def test_a_read_only_config_is_refused_not_replaced(aws_env, world, read_only):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    before = config.read_bytes()
    mount = config if read_only == "file" else config.parent
    remount_read_only(mount)
    try:
        run = write_profiles(aws_env)
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    assert_clean_failure(run, 2, f"{config} is read-only; not changing it")
    assert config.read_bytes() == before
    assert not backups(config) and not temporary_files(config)


def test_a_symlinked_config_is_written_where_it_points(aws_env, world, tmp_path):
    list_roles(aws_env, world)
    target = tmp_path / "dotfiles" / "aws-config"
    target.parent.mkdir()
    target.write_text(USER_CONFIG)
    link = Path(aws_env["AWS_CONFIG_FILE"])
    link.unlink()
    link.symlink_to(target)
    run = write_profiles(aws_env)
    assert run.returncode == 0, run.stderr
    assert f"wrote {target} (where {link} points)" in run.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "[profile production-read]" in target.read_text()
    (backup,) = backups(target)
    assert backup.read_text() == USER_CONFIG and not backups(link)


def test_the_report_names_the_profiles_it_did_not_write(aws_env, world):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG.replace("production-admin", "production-read"))
    assert write_profiles(aws_env).returncode == 0
    again = write_profiles(aws_env)
    assert again.returncode == 0, again.stderr
    assert "already holds every profile" not in again.stderr
    assert (f"not written 1 profile(s): production-read: {config} already has a profile of that name with other "
            "settings, kept as it is; to replace them, delete those sections") in again.stderr
    assert again.stderr.splitlines()[-1] == f"assume-role: {config} not changed: it already holds the others"
    # Once the user's section is gone, the profile is written.
    config.write_text(config.read_text().replace("[profile production-read]\n# mine", "[profile mine]\n# mine"))
    assert "added 1 profile(s): production-read" in write_profiles(aws_env).stderr


# -- another program edits the file while profiles are written ----------------------

def configure_set(config: Path) -> str:
    """What `aws configure set region ap-northeast-1 --profile other` does: the CLI's own writer, in place."""
    from awscli.customizations.configure.writer import ConfigFileWriter

    ConfigFileWriter().update_config({"__section__": "profile other", "region": "ap-northeast-1"}, str(config))
    return "region = ap-northeast-1"


def rename_over(config: Path) -> str:
    """What an editor or `sed -i` does: a new file renamed over the old one."""
    fresh = config.with_name("edited")
    fresh.write_text(config.read_text().replace("output = json", "output = yaml"))
    os.replace(fresh, config)
    return "output = yaml"


def traced_write(env: dict, *, exchange: bool = True) -> subprocess.Popen:
    """``--profiles --write`` with every rename held for a while by strace, so
    that an edit can land after the file was read and before the new one is
    put in place. Without ``exchange``, renameat2 answers as on NFS."""
    if not _can_trace():
        pytest.skip("needs strace, allowed to trace, to hold the write open")
    renames = "rename,renameat,renameat2" if exchange else "rename,renameat"
    trace = ["strace", "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e", "trace=rename,renameat,renameat2",
             "-e", f"inject={renames}:delay_enter=1500000"]
    if not exchange:
        trace += ["-e", "inject=renameat2:error=EINVAL"]
    return subprocess.Popen(
        [*trace, sys.executable, "-m", "assume_role", "credential-process", "--profiles", "--write",
         "--command", "assume-role"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def wait_for(run: subprocess.Popen, ready) -> None:
    deadline = time.monotonic() + 120
    while run.poll() is None and time.monotonic() < deadline and not ready():
        time.sleep(0.01)
    assert run.poll() is None, "the write ended before the edit could be made"


def finish(run: subprocess.Popen) -> str:
    try:
        return run.communicate(timeout=120)[1]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, 9)
            run.wait()


def waiting_to_be_put_in_place(config: Path):
    return lambda: any(size(path) for path in temporary_files(config))


@pytest.mark.parametrize(
    ("edit", "exchange"),
    [(configure_set, True), (rename_over, True), (configure_set, False)],
    ids=["configure-set", "rename", "configure-set-without-exchange"],
)
def test_an_edit_made_while_profiles_are_written_is_kept(aws_env, world, edit, exchange):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG)
    run = traced_write(aws_env, exchange=exchange)
    wait_for(run, waiting_to_be_put_in_place(config))
    edited = edit(config)
    before_ours = config.read_text()
    stderr = finish(run)
    assert run.returncode == 0, stderr
    text = config.read_text()
    assert edited in text and "[profile production-read]" in text
    (backup,) = backups(config)
    assert backup.read_text() == before_ours  # the version replaced is the edited one
    assert not temporary_files(config)


@pytest.mark.parametrize("second_edit", [configure_set, rename_over], ids=["configure-set", "rename"])
def test_two_edits_in_the_same_write_are_both_kept(aws_env, world, second_edit):
    list_roles(aws_env, world)
    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text(USER_CONFIG)
    run = traced_write(aws_env)
    wait_for(run, waiting_to_be_put_in_place(config))
    configure_set(config)
    first = config.read_text()
    # The new file goes in place, is found to have replaced an edited one,
    # and is held on its way out while another program edits it.
    wait_for(run, lambda: "[profile production-read]" in config.read_text())
    second_edit(config)
    second = config.read_text()
    stderr = finish(run)
    assert run.returncode == 2, stderr
    (backup,) = backups(config)
    assert stderr == (f"assume-role: {config} was changed twice by another program while it was written; one of "
                      f"its versions is in place, the other in {backup}: check them, then run again\n")
    assert config.read_text() == first and backup.read_text() == second
    assert not temporary_files(config)


def test_a_missing_config_is_created_private(aws_env, world, tmp_path):
    list_roles(aws_env, world)
    config = tmp_path / "new" / "aws-config"
    run = write_profiles({**aws_env, "AWS_CONFIG_FILE": str(config)})
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines()[-1] == f"assume-role: wrote {config}"
    assert oct(config.stat().st_mode & 0o777) == "0o600" and oct(config.parent.stat().st_mode & 0o777) == "0o700"
    assert "[profile production-read]" in config.read_text() and not backups(config)
