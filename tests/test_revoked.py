"""Role credentials that AWS stops accepting before their stored expiry.

A role session can be revoked at AWS, or end early; the store would hand the
same credentials out again until their expiry. ``status --check`` learns it
from AWS, forgets the stored copy and says to run ``--refresh``; the next run
then gets new credentials from the MFA session, without a code.
"""

from __future__ import annotations

import pytest

from support import assert_no_secret, run_cli
from test_assume import exports_of

# How AWS answers for credentials it no longer takes.
WITHDRAWALS = {"revoke_sessions": "InvalidClientTokenId", "expire_sessions": "ExpiredToken"}


def assume(env, *args):
    run = run_cli(env, "--shell", "bash", "production", "read", *args)
    assert run.returncode == 0, run.stderr
    return exports_of(run.stdout)


@pytest.mark.parametrize("withdraw", WITHDRAWALS)
def test_status_check_forgets_rejected_role_credentials(withdraw, aws_env, emulator, mfa_code):
    exported = assume(aws_env, mfa_code())
    getattr(emulator.control, withdraw)(access_key_id=exported["AWS_ACCESS_KEY_ID"])

    check = run_cli(dict(aws_env, **exported), "status", "--check")
    assert check.returncode == 7, check.stderr
    assert f"aws says:     these credentials are no longer valid ({WITHDRAWALS[withdraw]})" in check.stdout
    lines = check.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("assume-role: AWS rejected this shell's role credentials")
    assert "the stored copy is forgotten" in lines[0]
    assert lines[0].endswith("run assume-role --refresh production read for new ones")
    assert_no_secret(check.stdout + check.stderr, emulator.control.issued_secrets())

    emulator.control.reset()
    renewed = assume(aws_env)  # no code: the MFA session is still good
    assert renewed["AWS_ACCESS_KEY_ID"] != exported["AWS_ACCESS_KEY_ID"]
    assert emulator.control.calls() == {"AssumeRole": 1}
    assert run_cli(dict(aws_env, **renewed), "status", "--check").returncode == 0


def test_refresh_replaces_revoked_role_credentials(aws_env, emulator, mfa_code):
    exported = assume(aws_env, mfa_code())
    emulator.control.revoke_sessions(access_key_id=exported["AWS_ACCESS_KEY_ID"])
    emulator.control.reset()
    renewed = assume(aws_env, "--refresh")
    assert renewed["AWS_ACCESS_KEY_ID"] != exported["AWS_ACCESS_KEY_ID"]
    assert emulator.control.calls() == {"AssumeRole": 1}
    # The new credentials are stored in place of the revoked ones.
    assert assume(aws_env)["AWS_ACCESS_KEY_ID"] == renewed["AWS_ACCESS_KEY_ID"]


def test_status_check_with_valid_credentials_says_who(aws_env, emulator, world, mfa_code):
    exported = assume(aws_env, mfa_code())
    check = run_cli(dict(aws_env, **exported), "status", "--check")
    assert check.returncode == 0, check.stderr
    assert f"aws says:     arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}" in check.stdout
    assert check.stderr == ""
