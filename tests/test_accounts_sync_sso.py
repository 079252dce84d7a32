"""`assume-role accounts sync --sso`: the accounts and permission sets IAM Identity Center gives you."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assume_role_lab.emulator.sandbox import add_sso_profile
from support import assert_clean_failure, run_cli
from test_sso import cli_login

BASTION = "123456789012"


@pytest.fixture
def sso_env(aws_env, sso_world):
    return add_sso_profile(aws_env, sso_world)


def accounts_path(env) -> Path:
    return Path(env["ASSUME_ROLE_ACCOUNTS_FILE"])


def read_accounts(env) -> dict:
    return json.loads(accounts_path(env).read_text())


def tab(env, *words: str) -> list[str]:
    found = subprocess.run([sys.executable, "-m", "assume_role", "__complete", "--shell", "fish", "--", *words],
                           env=env, capture_output=True, text=True, timeout=60)
    return found.stdout.splitlines()


def test_sync_gives_every_account_an_alias_and_its_permission_sets(emulator, sso_world, sso_env):
    hand_made = {"production": "111111111111",
                 "staging": {"id": "222222222222", "roles": ["read"], "region": "eu-west-1"}}
    accounts_path(sso_env).write_text(json.dumps(hand_made))
    before = accounts_path(sso_env).read_bytes()
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "accounts", "sync", "--sso")
    assert run.returncode == 0, run.stderr
    assert read_accounts(sso_env) == {
        # Hand-made aliases stay, with their own roles first and region kept.
        "production": {"id": "111111111111", "roles": ["AdministratorAccess", "ReadOnlyAccess"]},
        "staging": {"id": "222222222222", "roles": ["read", "ReadOnlyAccess"], "region": "eu-west-1"},
        # A new alias from the account's name, marked as the sync's.
        "bastion": {"id": BASTION, "sso": "Bastion", "roles": ["Bastion"]},
        "#sync": {"sso": True},
    }
    assert run.stdout.splitlines() == [
        f"add bastion ({BASTION}, 'Bastion')",
        "give production (111111111111) the roles AdministratorAccess,ReadOnlyAccess",
        "give staging (222222222222) the roles read,ReadOnlyAccess",
        "3 accounts assigned to you in IAM Identity Center: add 1, update 2, remove 0",
    ]
    assert Path(str(accounts_path(sso_env)) + ".bak").read_bytes() == before
    assert emulator.control.calls() == {"ListAccounts": 1, "ListAccountRoles": 3}
    assert tab(sso_env, "bastion", "") == ["Bastion\tlisted in the accounts file"]
    # Every account now has roles: credential-process --profiles has a profile for each.
    profiles = run_cli(sso_env, "credential-process", "--profiles")
    assert profiles.returncode == 0, profiles.stderr
    for name in ("production-AdministratorAccess", "staging-read", "staging-ReadOnlyAccess", "bastion-Bastion"):
        assert f"[profile {name}]" in profiles.stdout


def test_a_plain_sync_repeats_it_and_reports_what_is_no_longer_assigned(emulator, sso_world, sso_env):
    cli_login(emulator, sso_world, sso_env)
    assert run_cli(sso_env, "accounts", "sync", "--sso").returncode == 0
    emulator.control.sso_unassign(sso_world.user, BASTION)
    try:
        kept = run_cli(sso_env, "accounts", "sync")
        assert kept.returncode == 0, kept.stderr
        assert f"keep bastion ({BASTION}): no longer assigned to you" in kept.stdout
        assert "bastion" in read_accounts(sso_env)
        pruned = run_cli(sso_env, "accounts", "sync", "--prune", "--dry-run")
        assert f"would remove bastion ({BASTION}): no longer assigned to you" in pruned.stdout
        assert "bastion" in read_accounts(sso_env)
        assert run_cli(sso_env, "accounts", "sync", "--prune").returncode == 0
        assert "bastion" not in read_accounts(sso_env)
    finally:
        emulator.control.sso_assign(sso_world.user, BASTION, "Bastion", account_name="Bastion",
                                    session_seconds=4 * 3600)


def test_the_sync_pages_through_many_accounts(emulator, sso_world, sso_env):
    user = "many@example.com"
    accounts = {f"{300000000000 + n:012d}": f"Team {n:03d}" for n in range(130)}
    for account_id, name in accounts.items():
        emulator.control.sso_assign(user, account_id, "ReadOnlyAccess", account_name=name)
    cli_login(emulator, sso_world, sso_env, user=user)
    run = run_cli(sso_env, "accounts", "sync", "--sso", timeout=180)
    assert run.returncode == 0, run.stderr
    table = read_accounts(sso_env)
    for n, account_id in enumerate(accounts):
        assert table[f"team-{n:03d}"] == {"id": account_id, "sso": f"Team {n:03d}", "roles": ["ReadOnlyAccess"]}
    assert emulator.control.calls()["ListAccounts"] == 2


def test_sync_sso_needs_an_sso_profile(aws_env):
    run = run_cli(aws_env, "accounts", "sync", "--sso")
    assert_clean_failure(run, 2, "needs an IAM Identity Center bastion profile")


def test_a_dry_run_writes_nothing(emulator, sso_world, sso_env):
    accounts_path(sso_env).write_text(json.dumps({"production": "111111111111"}))
    before = accounts_path(sso_env).read_bytes()
    cli_login(emulator, sso_world, sso_env)
    run = run_cli(sso_env, "accounts", "sync", "--sso", "--dry-run")
    assert run.returncode == 0, run.stderr
    assert "would add bastion" in run.stdout
    assert accounts_path(sso_env).read_bytes() == before
