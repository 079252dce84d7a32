"""The failure matrix: every failure, through eval in every shell, changes nothing.

Each case sets up one thing going wrong against the strict emulator. The CLI
must exit with the documented code, print one line on stderr and nothing on
stdout; evaluated in bash, zsh and fish, the variables exported before stay
exactly as they were.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import boto3
import botocore.compat
import pexpect
import pytest

from support import assert_clean_failure, assert_no_secret, run_cli
from test_assume import eval_line, shell_session

BEFORE = {
    "AWS_ACCESS_KEY_ID": "AKIABEFORE",
    "AWS_SECRET_ACCESS_KEY": "before/secret",
    "AWS_SESSION_TOKEN": "before-token",
    "AWS_ACCOUNT_NAME": "before-account",
    "AWS_ACCOUNT_ROLE": "before-role",
    "AWS_PROFILE": "before-profile",
    "ASSUME_ROLE_EXPIRES_AT": "1700000000",
}


def temporary_bastion_keys(world, env, mfa_serial_in_config=True) -> str:
    """Replace the bastion keys with GetSessionToken credentials (no MFA)."""
    sts = boto3.client(
        "sts", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id=world.access_key_id, aws_secret_access_key=world.secret_access_key,
    )
    creds = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    with open(env["AWS_SHARED_CREDENTIALS_FILE"], "w") as f:
        f.write(
            f"[default]\naws_access_key_id = {creds['AccessKeyId']}\n"
            f"aws_secret_access_key = {creds['SecretAccessKey']}\naws_session_token = {creds['SessionToken']}\n"
        )
    if mfa_serial_in_config:
        with open(env["AWS_CONFIG_FILE"], "a") as f:
            f.write(f"mfa_serial = {world.mfa_serial}\n")
    return creds["AccessKeyId"]


def case_wrong_mfa_code(env, world, emulator, mfa_code):
    return ["production", "read", "000000"], 4, "MFA code"


def case_access_denied(env, world, emulator, mfa_code):
    return ["production", "no-such-role", mfa_code()], 5, "denied sts:AssumeRole"


def case_temporary_bastion_keys(env, world, emulator, mfa_code):
    # Assumed with directly, without the MFA the role's trust policy requires
    # (the 2-hour session asked for is capped at the hour, said only on success).
    temporary_bastion_keys(world, env)
    env["AWS_ROLE_SESSION_TIMEOUT"] = "7200"
    return ["production", "read", mfa_code()], 5, "without an MFA condition"


def case_expired_bastion_keys(env, world, emulator, mfa_code):
    key = temporary_bastion_keys(world, env)
    emulator.control.expire_sessions(access_key_id=key)
    return ["production", "read", mfa_code()], 3, "expired"


def case_invalid_bastion_keys(env, world, emulator, mfa_code):
    with open(env["AWS_SHARED_CREDENTIALS_FILE"], "w") as f:
        f.write(f"[default]\naws_access_key_id = {world.access_key_id}\naws_secret_access_key = wrong-secret\n")
    return ["production", "read", mfa_code()], 3, "rejected the bastion credentials"


def case_no_credentials(env, world, emulator, mfa_code):
    open(env["AWS_SHARED_CREDENTIALS_FILE"], "w").close()
    return ["production", "read", mfa_code()], 3, "no AWS credentials"


def case_missing_profile(env, world, emulator, mfa_code):
    env["AWS_PROFILE_ASSUME_ROLE"] = "nope"
    return ["production", "read", mfa_code()], 3, "profile 'nope' not found"


def case_unreachable(env, world, emulator, mfa_code):
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    env["AWS_MAX_ATTEMPTS"] = "2"
    return ["production", "read", mfa_code()], 6, "cannot reach"


def case_timeout(env, world, emulator, mfa_code):
    emulator.control.delay("*", 2.5, count=5)
    env["ASSUME_ROLE_HTTP_TIMEOUT"] = "0.5"
    env["AWS_MAX_ATTEMPTS"] = "2"
    return ["production", "read", mfa_code()], 6, "timed out"


def case_throttling(env, world, emulator, mfa_code):
    emulator.control.inject_fault("*", "Throttling", count=20)
    env["AWS_MAX_ATTEMPTS"] = "2"
    return ["production", "read", mfa_code()], 6, "throttled"


def case_insecure_endpoint(env, world, emulator, mfa_code):
    env["AWS_ENDPOINT_URL"] = "http://sts.example.com"
    return ["production", "read", mfa_code()], 2, "must use https"


def case_bad_account_id(env, world, emulator, mfa_code):
    return ["1234567890", "read", "123456"], 2, "12 digits"


def case_unknown_alias(env, world, emulator, mfa_code):
    return ["prodution", "read", "123456"], 2, "did you mean production"


def case_malformed_accounts_file(env, world, emulator, mfa_code):
    with open(env["ASSUME_ROLE_ACCOUNTS_FILE"], "w") as f:
        f.write('{\n  "production": "111111111111",\n  "staging": \n}\n')
    return ["production", "read", "123456"], 2, "line 4 column 1"


def case_invalid_duration(env, world, emulator, mfa_code):
    env["AWS_ROLE_SESSION_TIMEOUT"] = "60"
    return ["production", "read", "123456"], 2, "between 900 and 43200"


def case_infinite_http_timeout(env, world, emulator, mfa_code):
    env["ASSUME_ROLE_HTTP_TIMEOUT"] = "inf"
    return ["production", "read", mfa_code()], 2, "ASSUME_ROLE_HTTP_TIMEOUT must be a positive number"


def case_invalid_role_name(env, world, emulator, mfa_code):
    return ["production", "re ad;ls", "123456"], 2, "invalid role name"


def case_malformed_mfa_code(env, world, emulator, mfa_code):
    return ["production", "read", "12345x"], 4, "6 digits"


CASES = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}


@pytest.fixture
def settle(emulator):
    """Let delayed requests finish, so they are not counted in the next test."""
    yield
    emulator.control.clear_faults()
    emulator.control.wait_idle()


def wait_for_request(emulator, timeout: float = 20) -> None:
    """Return once the emulator is holding a request (a delayed one)."""
    deadline = time.monotonic() + timeout
    while not emulator.control.in_flight():
        assert time.monotonic() < deadline, "no request reached the emulator"
        time.sleep(0.05)


@pytest.mark.parametrize("case", CASES)
def test_failure_is_clean(case, aws_env, world, emulator, mfa_code, settle):
    args, exit_code, fragment = CASES[case](aws_env, world, emulator, mfa_code)
    run = run_cli(aws_env, "--shell", "bash", *args)
    assert_clean_failure(run, exit_code, fragment)
    assert_no_secret(run.stderr, emulator.control.issued_secrets())


def snapshot_lines(shell: str) -> list[str]:
    return [f'printf "%s=%s\\n" {name} "${name}"' for name in BEFORE] + [
        'printf "%s=%s\\n" AWS_REGION "${AWS_REGION-unset}"' if shell != "fish" else
        'set -q AWS_REGION; and printf "%s=%s\\n" AWS_REGION $AWS_REGION; or echo AWS_REGION=unset'
    ]


def expected_snapshot() -> str:
    return "".join(f"{k}={v}\n" for k, v in BEFORE.items()) + "AWS_REGION=unset\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("case", CASES)
def test_failure_through_eval_keeps_shell_state(shell, case, aws_env, world, emulator, mfa_code, settle):
    args, _, fragment = CASES[case](aws_env, world, emulator, mfa_code)
    aws_env.update(BEFORE)
    result = shell_session(shell, aws_env, [eval_line(shell, *args), *snapshot_lines(shell)])
    assert result.stdout == expected_snapshot()
    assert fragment.lower() in result.stderr.lower()
    assert_no_secret(result.stderr, emulator.control.issued_secrets())


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_ctrl_c_keeps_shell_state(shell, aws_env, emulator, mfa_code, settle, tmp_path):
    emulator.control.delay("*", 2.5, count=5)
    aws_env.update(BEFORE, PS1="$ ", TERM="dumb")
    argv = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"], "fish": ["fish", "--no-config"]}[shell]
    child = pexpect.spawn(argv[0], argv[1:], env=aws_env, encoding="utf-8", timeout=20, cwd=str(tmp_path))
    try:
        if shell == "fish":
            child.sendline("function fish_prompt; echo -n 'READY> '; end")
        else:
            child.sendline("PS1='READY> '")
        child.expect("READY> ")
        child.sendline(eval_line(shell, "-v", "production", "read", mfa_code()))
        child.expect("calling sts:GetCallerIdentity")
        wait_for_request(emulator)
        child.sendintr()
        child.expect("interrupted; nothing was changed")
        child.expect("READY> ")
        # The quotes split the marker, so the echoed command line cannot match.
        child.sendline('echo "K"EY=$AWS_ACCESS_KEY_ID NAME=$AWS_ACCOUNT_NAME PROFILE=$AWS_PROFILE')
        child.expect(r"KEY=(\S*) NAME=(\S*) PROFILE=(\S*)\r?\n")
        assert child.match.groups() == ("AKIABEFORE", "before-account", "before-profile")
    finally:
        child.close(force=True)


def test_ctrl_c_exit_code(aws_env, emulator, mfa_code, settle):
    emulator.control.delay("*", 2.5, count=5)
    process = subprocess.Popen(
        [sys.executable, "-m", "assume_role", "--shell", "bash", "production", "read", mfa_code()],
        env=aws_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    wait_for_request(emulator)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 130
    assert stdout == ""
    assert stderr.strip() == "assume-role: interrupted; nothing was changed"


# Bastion profiles botocore cannot load, each added to the sandbox's config as
# [profile bastion]: (its settings, exit code, the fix the line must give).
# The role profiles take the sandbox's default profile (alice's keys) as source.
LOGIN_NEEDS = (
    (2, "pipx inject assume-role 'botocore[crt]'") if getattr(botocore.compat, "EC", None) is None
    else (3, "run: aws login --profile bastion")
)
UNUSABLE_PROFILES = {
    "sso without a token": (
        "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = admin\nregion = us-east-1\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        3, "(or aws sso login) in a terminal",
    ),
    "legacy sso without a token": (
        "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = admin\nregion = us-east-1\n",
        3, "(or aws sso login) in a terminal",
    ),
    "login_session": ("login_session = arn:aws:iam::123456789012:user/alice\nregion = us-east-1\n", *LOGIN_NEEDS),
    "role without a region": (
        "role_arn = arn:aws:iam::111111111111:role/read\nsource_profile = default\n",
        2, "has no region, which botocore needs to get its credentials from AWS: set region in the profile",
    ),
    "role AWS refuses": (
        "role_arn = arn:aws:iam::111111111111:role/nosuch\nsource_profile = default\nregion = us-east-1\n",
        5, "AWS denied sts:AssumeRole on arn:aws:iam::111111111111:role/nosuch, the role_arn of the bastion profile",
    ),
}


@pytest.mark.parametrize("profile", UNUSABLE_PROFILES)
def test_a_bastion_profile_botocore_cannot_use_says_how_to_fix_it(profile, aws_env, emulator, mfa_code):
    settings, exit_code, fix = UNUSABLE_PROFILES[profile]
    with open(aws_env["AWS_CONFIG_FILE"], "a") as f:
        f.write("[profile bastion]\n" + settings)
    aws_env["AWS_PROFILE_ASSUME_ROLE"] = "bastion"
    # IAM Identity Center is a sign-in of its own, which takes no MFA code.
    code = () if profile.endswith("sso without a token") else (mfa_code(),)
    run = run_cli(aws_env, "--shell", "bash", "production", "read", *code)
    assert_clean_failure(run, exit_code, fix)
    assert_no_secret(run.stderr, emulator.control.issued_secrets())


@pytest.mark.parametrize("client", ["standard library", "botocore"])
def test_a_timeout_reads_as_one_whichever_thread_notices_it_first(client, aws_env):
    """Under load the socket's own timeout can be noticed before the attempt's deadline.

    Stopping the runs while they wait and continuing them once both have
    passed leaves it to the scheduler which one is seen first: either way the
    user must be told it timed out, not that the connection broke.
    """
    with socket.create_server(("127.0.0.1", 0), backlog=64) as hole:
        env = dict(aws_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{hole.getsockname()[1]}")
        env.update(ASSUME_ROLE_HTTP_TIMEOUT="0.5", AWS_MAX_ATTEMPTS="1")
        if client == "botocore":
            env["AWS_STS_REGIONAL_ENDPOINTS"] = "regional"  # a setting only botocore follows
        command = [sys.executable, "-m", "assume_role", "--shell", "bash", "production", "read", "123456"]
        runs = [subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(12)]
        hole.settimeout(30)
        held = [hole.accept()[0] for _ in runs]  # each run is now waiting for its answer
        for run in runs:
            run.send_signal(signal.SIGSTOP)
        time.sleep(1)
        for run in runs:
            run.send_signal(signal.SIGCONT)
        said = [run.communicate(timeout=30)[1] for run in runs]
        for connection in held:
            connection.close()
    for stderr in said:
        assert stderr.startswith("assume-role: timed out calling sts:GetCallerIdentity"), stderr
