"""``assume-role keys``: the bastion's long-term keys in the OS keyring, added, rotated, lent, never on disk.

The keyrings are real: gnome-keyring-daemon serving the Secret Service in a
D-Bus session of its own (``secret_service.py``), and keyrings.alt's file
backend where a test says so by name. IAM is the strict emulator: key
changes need MFA under the world's policy, a new key is refused while it
propagates when a test asks, and a deleted key is refused from then on.
Each test has an IAM user of its own, since rotating changes its keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from secret_service import SecretService
from support import assert_clean_failure, assert_no_secret, run_cli
from test_assume import exports_of

from assume_role_lab.emulator import admin_client, seed_world
from assume_role_lab.emulator.sandbox import write_sandbox

PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin"
FILE_KEYRING = "keyrings.alt.file.PlaintextKeyring"
OTHER_PROFILE = "[other]\n# a comment that stays\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = other/secret\n"


# -- the world of one test ----------------------------------------------------------------


@pytest.fixture
def secret_service(tmp_path):
    service = SecretService(tmp_path / "secret-service")
    yield service
    service.stop()


@pytest.fixture
def user(emulator):
    """An IAM user of this test's own (key policy: no key change without MFA)."""
    return seed_world(emulator.endpoint, user_name=f"keys-{uuid.uuid4().hex[:8]}")


def sandbox(tmp_path: Path, emulator, user, **keyring: str) -> dict[str, str]:
    """The usual sandbox for ``user``, with its temporary files inside it, and ``keyring`` settings."""
    env = write_sandbox(tmp_path / "sandbox", user, endpoint=emulator.endpoint)
    temporary = tmp_path / "sandbox" / "tmp"
    temporary.mkdir()
    env["TMPDIR"] = str(temporary)
    credentials = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_text(credentials.read_text() + "\n" + OTHER_PROFILE)
    env.update(keyring)
    return env


@pytest.fixture
def gnome_env(tmp_path, emulator, user, secret_service):
    return sandbox(tmp_path, emulator, user, **secret_service.client_env())


@pytest.fixture
def file_env(tmp_path, emulator, user):
    return sandbox(tmp_path, emulator, user, PYTHON_KEYRING_BACKEND=FILE_KEYRING)


def files_holding(text: str, root: Path, *, outside: tuple[Path, ...] = ()) -> list[Path]:
    """Every file under ``root`` (links not followed) whose bytes hold ``text``."""
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            if any(path.is_relative_to(place) for place in outside) or not path.is_file() or path.is_symlink():
                continue
            if text.encode() in path.read_bytes():
                found.append(path)
    return found


def sandbox_root(env: dict) -> Path:
    """HOME, the XDG directories (cache, state: the tool's own) and TMPDIR all live here."""
    return Path(env["HOME"]).parent


def stored_pair(env: dict) -> tuple[str, str]:
    run = run_cli(env, "keys", "credential-process", "default")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["Version"] == 1 and set(document) == {"Version", "AccessKeyId", "SecretAccessKey"}
    return document["AccessKeyId"], document["SecretAccessKey"]


def user_keys(emulator, user) -> list[str]:
    iam = admin_client(emulator.endpoint, "iam", user.bastion_account_id)
    return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user.user_name)["AccessKeyMetadata"]]


def caller(emulator, key_id: str, secret: str) -> str:
    """Who AWS says the keys belong to, or the error code it refuses them with."""
    import boto3
    from botocore.exceptions import ClientError

    sts = boto3.session.Session().client(
        "sts", endpoint_url=emulator.endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
    )
    try:
        return sts.get_caller_identity()["Arn"]
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def assume(env, *args):
    return run_cli(env, "--shell", "bash", *args)


def add_from_file(env):
    run = run_cli(env, "keys", "add", "--from-credentials-file")
    assert run.returncode == 0, run.stderr
    return run


# -- add -------------------------------------------------------------------------------------------


def test_add_from_the_credentials_file_leaves_the_secret_nowhere_on_disk(gnome_env, user, emulator, mfa_code, secret_service):
    credentials = Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"])
    before = credentials.read_text()
    run = add_from_file(gnome_env)
    assert f"stored the keys of profile default ({user.access_key_id}, {user.user_arn}) in the Secret Service" in run.stdout
    assert "(no copy kept)" in run.stdout
    # Only the profile's two key lines went; everything else is as it was, byte for byte.
    assert credentials.read_text() == before.replace(
        f"aws_access_key_id = {user.access_key_id}\naws_secret_access_key = {user.secret_access_key}\n", ""
    )
    assert OTHER_PROFILE in credentials.read_text()
    # Nowhere on disk: not in HOME, the cache, the state, temporary files, nor in a backup.
    assert files_holding(user.secret_access_key, sandbox_root(gnome_env)) == []
    # The keyring's own store holds it encrypted, not as text.
    assert list(secret_service.store.iterdir())
    assert files_holding(user.secret_access_key, secret_service.store) == []
    # The bastion reads it from the keyring: a full MFA flow, then a role switch.
    first = assume(gnome_env, "production", "read", mfa_code(user.mfa_serial))
    assert first.returncode == 0, first.stderr
    assert exports_of(first.stdout)["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert assume(gnome_env, "staging", "admin").returncode == 0
    assert_no_secret(run.stdout + run.stderr + first.stderr, [user.secret_access_key])


def test_list_and_status_name_the_keyring_never_the_secret(gnome_env, user):
    status = run_cli(gnome_env, "status")
    assert f"bastion keys: {gnome_env['AWS_SHARED_CREDENTIALS_FILE']} in plain text (assume-role keys add" in status.stdout
    add_from_file(gnome_env)
    listed = run_cli(gnome_env, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split()[:2] == ["default", user.access_key_id]
    status = run_cli(gnome_env, "status")
    assert "bastion keys: in the keyring: the Secret Service (GNOME Keyring, KWallet)\n" in status.stdout
    assert json.loads(run_cli(gnome_env, "status", "--json").stdout)["bastion_keys"] == {"source": "keyring"}
    assert_no_secret(listed.stdout + listed.stderr, [user.secret_access_key])
    # status is pasted around: not even the key id.
    assert_no_secret(status.stdout + status.stderr, [user.secret_access_key, user.access_key_id])


def test_add_reads_the_keys_from_stdin_checks_them_and_never_from_arguments(gnome_env, user, emulator):
    Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text("")
    given = f"{user.access_key_id}\n{user.secret_access_key}\n"
    added = subprocess.run([sys.executable, "-m", "assume_role", "keys", "add"], env=gnome_env, input=given,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert stored_pair(gnome_env) == (user.access_key_id, user.secret_access_key)
    assert emulator.control.calls(outcome="ok").get("GetCallerIdentity") == 1
    # A secret typed as an argument is refused, and not repeated.
    refused = run_cli(gnome_env, "keys", "add", "ops", user.access_key_id, user.secret_access_key)
    assert_clean_failure(refused, 2, "never from the command line")
    assert_no_secret(refused.stderr, [user.secret_access_key])


def test_add_asks_on_the_terminal_with_the_secret_hidden(gnome_env, user):
    import pexpect

    Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text("")
    child = pexpect.spawn(sys.executable, ["-m", "assume_role", "keys", "add", "ops"], env=gnome_env,
                          encoding="utf-8", timeout=60, dimensions=(24, 120))
    child.expect("Access key id for profile ops")
    child.sendline(user.access_key_id)
    child.expect("Secret access key")
    child.sendline(user.secret_access_key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert f"stored the keys of profile ops ({user.access_key_id}" in child.before
    assert_no_secret(child.before, [user.secret_access_key])  # never echoed
    listed = run_cli(gnome_env, "keys", "list").stdout
    assert listed.splitlines()[1].split()[:2] == ["ops", user.access_key_id]


def test_copies_of_the_secret_beside_the_file_are_named_not_touched(gnome_env, user):
    credentials = Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"])
    backup = credentials.with_name("credentials.bak")
    backup.write_text(credentials.read_text())
    run = add_from_file(gnome_env)
    (warning,) = [line for line in run.stderr.splitlines() if "warning" in line]
    assert f"the secret is still written in {backup}" in warning
    assert backup.read_text().count(user.secret_access_key) == 1  # the user's file, left as it is
    assert_no_secret(run.stdout + run.stderr, [user.secret_access_key])


def test_keys_aws_refuses_are_not_stored(gnome_env, user):
    credentials = Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"])
    wrong = credentials.read_text().replace(user.secret_access_key, "w" * 40)
    credentials.write_text(wrong)
    run = run_cli(gnome_env, "keys", "add", "--from-credentials-file")
    assert_clean_failure(run, 3, "AWS rejected the keys given (SignatureDoesNotMatch)", "nothing was stored")
    assert credentials.read_text() == wrong
    assert "no keys in the OS keyring" in run_cli(gnome_env, "keys", "list").stdout


def test_the_keyring_comes_first_then_the_credentials_file(gnome_env, user, emulator, mfa_code):
    add_from_file(gnome_env)
    # The file now names another user's keys for the same profile: the keyring's are used.
    bob = seed_world(emulator.endpoint, user_name=f"bob-{uuid.uuid4().hex[:8]}")
    Path(gnome_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[default]\naws_access_key_id = {bob.access_key_id}\naws_secret_access_key = {bob.secret_access_key}\n"
    )
    run = assume(gnome_env, "production", "read", mfa_code(user.mfa_serial))
    assert run.returncode == 0, run.stderr
    assert [a["role_session_name"] for a in emulator.control.assumed_roles()] == [user.user_name]
    # Removed from the keyring, the profile's keys come from the file again.
    removed = run_cli(gnome_env, "keys", "remove", "default")
    assert removed.returncode == 0 and "still valid at AWS" in removed.stdout
    again = assume(gnome_env, "--refresh", "production", "read", mfa_code(bob.mfa_serial))
    assert again.returncode == 0, again.stderr
    assert emulator.control.assumed_roles()[-1]["role_session_name"] == bob.user_name


def test_other_tools_use_the_keys_through_credential_process(gnome_env, user, tmp_path):
    add_from_file(gnome_env)
    helper = tmp_path / "bin" / "assume-role"
    helper.parent.mkdir()
    helper.write_text(f"#!/bin/sh\nPYTHONPATH='{PLUGIN_DIR}' exec '{sys.executable}' -m assume_role \"$@\"\n")
    helper.chmod(0o755)
    env = {**gnome_env, "PATH": f"{helper.parent}:{gnome_env['PATH']}"}
    config = Path(env["AWS_CONFIG_FILE"])
    config.write_text(config.read_text() + "credential_process = assume-role keys credential-process default\n")
    aws = subprocess.run([sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "default",
                          "--query", "Arn", "--output", "text"], env=env, capture_output=True, text=True, timeout=60)
    assert aws.returncode == 0, aws.stderr
    assert aws.stdout.strip() == user.user_arn
    # The line is the keyring's keys: assume-role itself still serves the profile without botocore.
    from test_imports import loaded

    assert "botocore" not in loaded(env, "--shell", "bash", "production", "read", "000000")


# -- rotate -----------------------------------------------------------------------------------------


def test_rotation_stores_a_working_key_deletes_the_old_and_leaves_neither_on_disk(gnome_env, user, emulator, mfa_code, secret_service):
    add_from_file(gnome_env)
    assert assume(gnome_env, "production", "read", mfa_code(user.mfa_serial)).returncode == 0
    emulator.control.key_propagation(2)  # the new key is refused twice before IAM knows it
    run = run_cli(gnome_env, "keys", "rotate")
    assert run.returncode == 0, run.stderr
    new_id, new_secret = stored_pair(gnome_env)
    assert new_id != user.access_key_id
    assert run.stdout.strip() == (
        f"rotated the keys of profile default: {new_id} is stored in the Secret Service (GNOME Keyring, KWallet) "
        f"and works; {user.access_key_id} is deleted at AWS"
    )
    assert user_keys(emulator, user) == [new_id]
    assert caller(emulator, user.access_key_id, user.secret_access_key) == "InvalidClientTokenId"
    assert caller(emulator, new_id, new_secret) == user.user_arn
    # The stored MFA session served the key calls, and serves the next role too: no code asked.
    assert assume(gnome_env, "--refresh", "staging", "read").returncode == 0
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1
    for secret in (user.secret_access_key, new_secret):
        assert files_holding(secret, sandbox_root(gnome_env)) == []
        assert files_holding(secret, secret_service.store) == []
    assert_no_secret(run.stdout + run.stderr, [user.secret_access_key, new_secret])


def test_rotation_asks_for_a_code_only_when_the_policy_wants_mfa(tmp_path, emulator, mfa_code):
    strict = seed_world(emulator.endpoint, user_name=f"strict-{uuid.uuid4().hex[:8]}")
    env = sandbox(tmp_path / "strict", emulator, strict, PYTHON_KEYRING_BACKEND=FILE_KEYRING)
    add_from_file(env)
    without = run_cli(env, "keys", "rotate")
    assert_clean_failure(without, 2, "an MFA code for", "is needed")
    assert user_keys(emulator, strict) == [strict.access_key_id]  # nothing was made
    with_code = run_cli(env, "keys", "rotate", "--mfa-token", mfa_code(strict.mfa_serial))
    assert with_code.returncode == 0, with_code.stderr
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1

    emulator.control.reset()
    relaxed = seed_world(emulator.endpoint, user_name=f"relaxed-{uuid.uuid4().hex[:8]}", keys_need_mfa=False)
    env = sandbox(tmp_path / "relaxed", emulator, relaxed, PYTHON_KEYRING_BACKEND=FILE_KEYRING)
    add_from_file(env)
    rotated = run_cli(env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "GetSessionToken" not in emulator.control.calls()
    assert user_keys(emulator, relaxed) == [stored_pair(env)[0]]


def test_rotation_is_refused_when_the_user_already_has_two_keys(gnome_env, user, emulator, mfa_code):
    add_from_file(gnome_env)
    second = admin_client(emulator.endpoint, "iam", user.bastion_account_id).create_access_key(
        UserName=user.user_name)["AccessKey"]["AccessKeyId"]
    run = run_cli(gnome_env, "keys", "rotate", "--mfa-token", mfa_code(user.mfa_serial))
    assert_clean_failure(
        run, 2, f"already has two access keys ({user.access_key_id}, {second})",
        f"--access-key-id {second}", "nothing was changed",
    )
    assert "CreateAccessKey" not in emulator.control.calls()
    assert stored_pair(gnome_env)[0] == user.access_key_id


def test_a_failed_create_leaves_the_old_key_stored(gnome_env, user, emulator, mfa_code):
    add_from_file(gnome_env)
    emulator.control.inject_fault("CreateAccessKey", "ServiceFailure", status=500, message="try later")
    run = run_cli(gnome_env, "keys", "rotate", "--mfa-token", mfa_code(user.mfa_serial))
    assert_clean_failure(run, 6, "AWS failed while calling iam:CreateAccessKey", "list the user's keys")
    assert emulator.control.calls()["CreateAccessKey"] == 1  # never sent twice
    assert stored_pair(gnome_env) == (user.access_key_id, user.secret_access_key)
    assert user_keys(emulator, user) == [user.access_key_id]


@pytest.mark.usefixtures("root")
def test_a_keyring_that_refuses_the_new_key_gets_it_deleted_again(file_env, user, emulator, mfa_code):
    from test_hostile_files import remount_read_only

    add_from_file(file_env)
    store = Path(file_env["XDG_DATA_HOME"]) / "python_keyring"
    remount_read_only(store)
    try:
        run = run_cli(file_env, "keys", "rotate", "--mfa-token", mfa_code(user.mfa_serial))
    finally:
        subprocess.run(["umount", str(store)], check=True)
    assert_clean_failure(
        run, 3, "rotation stopped: the OS keyring", "refused to store the keys in it",
        "was deleted again", f"the stored key is still {user.access_key_id}, which works",
    )
    assert user_keys(emulator, user) == [user.access_key_id]
    assert stored_pair(file_env) == (user.access_key_id, user.secret_access_key)


def test_a_failed_delete_keeps_the_new_key_and_says_how_to_delete_the_old(gnome_env, user, emulator, mfa_code):
    add_from_file(gnome_env)
    emulator.control.inject_fault("DeleteAccessKey", "AccessDenied", status=403, message="denied for the test")
    run = run_cli(gnome_env, "keys", "rotate", "--mfa-token", mfa_code(user.mfa_serial))
    new_id, new_secret = stored_pair(gnome_env)
    assert_clean_failure(
        run, 5, f"the new key {new_id} is stored and works", f"the old key {user.access_key_id} could not be deleted",
        f"aws iam delete-access-key --user-name {user.user_name} --access-key-id {user.access_key_id}",
    )
    assert sorted(user_keys(emulator, user)) == sorted([user.access_key_id, new_id])
    assert caller(emulator, new_id, new_secret) == user.user_arn


def test_parallel_runs_see_the_old_pair_or_the_new_never_a_mix(gnome_env, user, emulator, mfa_code):
    add_from_file(gnome_env)
    assert assume(gnome_env, "production", "read", mfa_code(user.mfa_serial)).returncode == 0
    old = (user.access_key_id, user.secret_access_key)
    emulator.control.key_propagation(3)  # the rotation takes a while: the others meet it in the middle
    rotation = subprocess.Popen(
        [sys.executable, "-m", "assume_role", "keys", "rotate"],
        env=gnome_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen: list[tuple[str, str]] = []
    switches: list[int] = []

    def read_while_rotating():
        while rotation.poll() is None:
            seen.append(stored_pair(gnome_env))

    def switch_while_rotating():
        while rotation.poll() is None:
            switches.append(assume(gnome_env, "--refresh", "staging", "read").returncode)

    threads = [threading.Thread(target=read_while_rotating) for _ in range(3)]
    threads.append(threading.Thread(target=switch_while_rotating))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out, err = rotation.communicate()
    assert rotation.returncode == 0, err
    new = stored_pair(gnome_env)
    assert seen and set(seen) <= {old, new}, "a reader saw a pair that is neither the old nor the new one"
    # Role switches meanwhile reused the MFA session, whichever key id they read: no code needed.
    assert switches and set(switches) == {0}
    assert emulator.control.calls(outcome="ok")["GetSessionToken"] == 1


# -- what cannot be used: one line each, and never plain text ------------------------------------


def test_no_keyring_backend_is_one_line_and_the_file_is_untouched(file_env):
    file_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    credentials = Path(file_env["AWS_SHARED_CREDENTIALS_FILE"])
    before = credentials.read_text()
    run = run_cli(file_env, "keys", "add", "--from-credentials-file")
    assert_clean_failure(run, 3, "no OS keyring is available", "PYTHON_KEYRING_BACKEND", "nothing was written")
    assert credentials.read_text() == before


def test_keyring_never_falls_back_to_a_plain_file_on_its_own(file_env, user):
    # No D-Bus session and no backend named: keyring's own choice would be keyrings.alt's plain file.
    del file_env["PYTHON_KEYRING_BACKEND"]
    file_env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    run = run_cli(file_env, "keys", "add", "--from-credentials-file")
    assert_clean_failure(run, 3, "keeps secrets in a plain file", "nothing was stored",
                         f"PYTHON_KEYRING_BACKEND={FILE_KEYRING}")
    assert files_holding(user.secret_access_key, sandbox_root(file_env)) == [Path(file_env["AWS_SHARED_CREDENTIALS_FILE"])]


def test_a_locked_keyring_is_one_line_with_the_fix(gnome_env, user, secret_service, mfa_code):
    add_from_file(gnome_env)
    secret_service.lock()
    for run in (run_cli(gnome_env, "keys", "credential-process", "default"),
                assume(gnome_env, "production", "read", mfa_code(user.mfa_serial)),
                run_cli(gnome_env, "keys", "remove", "default")):
        assert_clean_failure(run, 3, "is locked: unlock it", "gnome-keyring-daemon --unlock")


def test_without_the_keyring_package_a_held_profile_says_how_to_install_it(gnome_env, user, mfa_code):
    add_from_file(gnome_env)
    script = ("import sys; sys.modules['keyring'] = None; from assume_role.cli import main; "
              f"sys.exit(main(['--shell', 'bash', 'production', 'read', '{mfa_code(user.mfa_serial)}']))")
    run = subprocess.run([sys.executable, "-c", script], env=gnome_env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert_clean_failure(run, 3, "need the keyring package", "pipx inject assume-role keyring")


def test_keys_are_not_printed_on_a_terminal(gnome_env):
    import pexpect

    add_from_file(gnome_env)
    child = pexpect.spawn(sys.executable, ["-m", "assume_role", "keys", "credential-process", "default"],
                          env=gnome_env, encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "not printed on a terminal" in child.before and "SecretAccessKey" not in child.before


# -- the credentials file, line by line ----------------------------------------------------------

LAYOUTS = {
    "plain": ("[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\nregion = eu-west-1\n",
              "[default]\nregion = eu-west-1\n"),
    "no spaces, colon, capitals": ("# mine\n[default]\nAWS_ACCESS_KEY_ID=AKIA1\naws_secret_access_key: s1\n\n[x]\na = b\n",
                                   "# mine\n[default]\n\n[x]\na = b\n"),
    "a continuation line": ("[default]\naws_secret_access_key = s1\n  more\naws_access_key_id = AKIA1\n[x]\n",
                            "[default]\n[x]\n"),
    "the same keys elsewhere stay": ("[x]\naws_access_key_id = AKIA1\n[default]\naws_access_key_id = AKIA1\n",
                                     "[x]\naws_access_key_id = AKIA1\n[default]\n"),
    "no newline at the end": ("[default]\nregion = r\naws_access_key_id = AKIA1", "[default]\nregion = r\n"),
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_only_the_profiles_key_lines_go(layout, tmp_path):
    from assume_role.aws import credentials_file

    before, after = LAYOUTS[layout]
    assert credentials_file.without_keys(before, "default") == after
    credentials_file.verify_removal(before, after, "default", tmp_path / "credentials")
