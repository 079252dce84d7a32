"""`assume-role accounts sync` against an organisation the emulator serves."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli

from assume_role_lab.emulator.organization import seed_organization

# More than one ListAccounts page (20 accounts), and names that collide.
FILLERS = [f"Team {n:02d}" for n in range(18)]
NAMES = ["Production", "Data Lake", "data_lake", "status", "Ünïcode Team!!", "123456", "Closed One", *FILLERS]
EXPECTED = {
    "production-2": "Production",  # "production" is a hand-made alias of another account
    "data-lake": "Data Lake",
    "data-lake-2": "data_lake",
    "status-2": "status",  # a subcommand's name is never an alias
    "unicode-team": "Ünïcode Team!!",
    "account-123456": "123456",  # a bare number would read as an account id
    "master": "master",  # the management account itself
}


@pytest.fixture(scope="module")
def org(emulator, world):
    return seed_organization(emulator.endpoint, NAMES, suspend=("Closed One",))


def accounts_path(env) -> Path:
    return Path(env["ASSUME_ROLE_ACCOUNTS_FILE"])


def read_accounts(env) -> dict:
    return json.loads(accounts_path(env).read_text())


def sync(env, *args):
    return run_cli(env, "accounts", "sync", *args, timeout=120)


def test_sync_merges_the_organisation_into_the_accounts_file(aws_env, org, mfa_code):
    hand_made = {
        "production": "111111111111",
        "staging": {"id": "222222222222", "roles": ["read", "admin"], "region": "eu-west-1"},
        "lake": org.members["Data Lake"],  # already reached: gets no second alias
    }
    accounts_path(aws_env).write_text(json.dumps(hand_made))
    before = accounts_path(aws_env).read_bytes()

    run = sync(aws_env, "--via", org.via, mfa_code())
    assert run.returncode == 0, run.stderr
    table = read_accounts(aws_env)
    for alias, value in hand_made.items():
        assert table[alias] == value
    # "Data Lake" is reached by "lake", so "data_lake" gets the plain alias.
    assert table["data-lake"] == {"id": org.members["data_lake"], "org": "data_lake"}
    assert "data-lake-2" not in table
    expected = {k: v for k, v in EXPECTED.items() if v not in ("Data Lake", "data_lake")}
    for alias, name in expected.items():
        account_id = org.management_account_id if name == "master" else org.members[name]
        assert table[alias] == {"id": account_id, "org": name}
    for n, name in enumerate(FILLERS):
        assert table[f"team-{n:02d}"] == {"id": org.members[name], "org": name}
    assert org.members["Closed One"] not in json.dumps(table)  # suspended: not added
    assert table["#sync"] == {"via": org.via}
    ids = [accounts_id for v in table.values() if (accounts_id := v if isinstance(v, str) else v.get("id"))]
    assert len(ids) == len(set(ids)), "an account got two aliases"
    # Readable: one entry a line, sorted; the previous file is kept.
    lines = accounts_path(aws_env).read_text().splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    keys = [json.loads("{" + line.rstrip(",") + "}").popitem()[0] for line in lines[1:-1]]
    assert keys == sorted(table) and len(keys) == len(table)
    assert Path(str(accounts_path(aws_env)) + ".bak").read_bytes() == before
    assert "add production-2 (" in run.stdout


def test_names_that_collide_get_a_suffix(aws_env, org, mfa_code):
    assert sync(aws_env, "--via", org.via, mfa_code()).returncode == 0
    table = read_accounts(aws_env)
    for alias, name in EXPECTED.items():
        account_id = org.management_account_id if name == "master" else org.members[name]
        assert table[alias] == {"id": account_id, "org": name}


def test_dry_run_writes_nothing(aws_env, org, mfa_code):
    before = accounts_path(aws_env).read_bytes()
    run = sync(aws_env, "--via", org.via, "--dry-run", mfa_code())
    assert run.returncode == 0, run.stderr
    assert "would add data-lake (" in run.stdout
    assert "would add production-2 (" in run.stdout
    assert accounts_path(aws_env).read_bytes() == before
    assert not Path(str(accounts_path(aws_env)) + ".bak").exists()


def test_plain_sync_repeats_the_remembered_via_and_changes_nothing_the_second_time(aws_env, org, mfa_code, emulator):
    assert sync(aws_env, "--via", org.via, mfa_code()).returncode == 0
    first = accounts_path(aws_env).read_bytes()
    emulator.control.reset()
    again = sync(aws_env)  # the role session is stored: no MFA code needed
    assert again.returncode == 0, again.stderr
    assert "add 0, remove 0" in again.stdout
    assert accounts_path(aws_env).read_bytes() == first
    assert emulator.control.calls().get("ListAccounts", 0) >= 2  # two pages


def test_every_synced_account_can_be_assumed_by_its_alias(aws_env, org, mfa_code, world):
    assert sync(aws_env, "--via", org.via, mfa_code()).returncode == 0
    table = read_accounts(aws_env)
    synced = {alias: value["id"] for alias, value in table.items() if isinstance(value, dict) and "org" in value}
    assert len(synced) == len(NAMES) - 1 + 1  # all but the suspended one, plus the management account
    for alias, account_id in synced.items():
        if alias == "master":
            continue  # the management account has only the sync's role
        run = run_cli(aws_env, "--shell", "bash", alias, "read")
        assert run.returncode == 0, (alias, run.stderr)
        assert f"export AWS_ACCOUNT_ID='{account_id}'" in run.stdout
        assert f"export AWS_ACCOUNT_NAME='{alias}'" in run.stdout


def test_a_throttled_page_is_retried(aws_env, org, mfa_code, emulator):
    # The first page answers, the second is throttled once, then answers.
    emulator.control.inject_fault("ListAccounts", "TooManyRequestsException", message="Rate exceeded", after=1)
    run = sync(aws_env, "--via", org.via, mfa_code())
    assert run.returncode == 0, run.stderr
    assert emulator.control.calls("error").get("ListAccounts") == 1
    assert emulator.control.calls("ok").get("ListAccounts") == 2
    assert read_accounts(aws_env)["team-17"]["org"] == "Team 17"  # on the second page


def test_throttling_that_does_not_stop_is_a_network_failure(aws_env, org, mfa_code, emulator):
    emulator.control.inject_fault("ListAccounts", "TooManyRequestsException", count=20)
    before = accounts_path(aws_env).read_bytes()
    run = sync(aws_env, "--via", org.via, mfa_code())
    assert_clean_failure(run, 6, "throttled", "ListAccounts")
    assert accounts_path(aws_env).read_bytes() == before


@pytest.mark.parametrize(
    ("mode", "per_page", "fragments"),
    [
        # The second page names the first page's token again: a loop.
        ("repeat", 20, ("page 2", "NextToken it had already given")),
        # A new token every page: followed up to the bound, 100,000 accounts.
        ("endless", 5000, ("still had more after 105,000 accounts in 21 pages", "100,000 accounts")),
    ],
)
def test_a_list_that_never_ends_is_refused_and_nothing_is_written(aws_env, org, mfa_code, emulator, mode, per_page,
                                                                  fragments):
    from assume_role.aws.paging import MAX_ACCOUNTS

    before = accounts_path(aws_env).read_bytes()
    emulator.control.break_paging(mode, accounts_per_page=per_page)
    run = sync(aws_env, "--via", org.via, mfa_code())
    assert_clean_failure(run, 6, "organizations:ListAccounts", "nothing was changed", *fragments)
    assert accounts_path(aws_env).read_bytes() == before
    assert not Path(str(accounts_path(aws_env)) + ".bak").exists()
    expected_pages = 2 if mode == "repeat" else MAX_ACCOUNTS // per_page + 1
    assert emulator.control.calls("ok").get("ListAccounts") == expected_pages


def test_pages_are_followed_up_to_the_bound_and_no_further():
    from assume_role.errors import NetworkError
    from assume_role.aws.paging import MAX_ACCOUNTS, MAX_PAGES, every_page

    # A 100,000-account organisation sent in half-full pages is read whole...
    per_page = MAX_ACCOUNTS // MAX_PAGES
    listing = [[(f"{n:012d}", f"Team {n}", "ACTIVE") for n in range(start, start + per_page)]
               for start in range(0, MAX_ACCOUNTS, per_page)]

    def half_full(token):
        number = int(token or 0)
        return listing[number], str(number + 1) if number + 1 < len(listing) else None

    assert len(every_page(half_full, "organizations:ListAccounts")) == MAX_ACCOUNTS
    # ... and empty pages that never end stop at the bound of pages.
    asked = []

    def empty_pages(token):
        asked.append(token)
        return [], f"token-{len(asked)}"

    with pytest.raises(NetworkError, match=f"after 0 accounts in {MAX_PAGES:,} pages"):
        every_page(empty_pages, "organizations:ListAccounts")
    assert len(asked) == MAX_PAGES


def test_suspended_and_departed_accounts_are_reported_and_pruned_only_when_asked(aws_env, emulator, world, mfa_code):
    from assume_role_lab.emulator.world import admin_client

    own = seed_organization(emulator.endpoint, ["Alpha", "Beta", "Gamma"], management_account_id="444444444444")
    assert sync(aws_env, "--via", own.via, mfa_code()).returncode == 0
    table = read_accounts(aws_env)
    assert {"alpha", "beta", "gamma"} <= set(table)
    table["hand-beta"] = own.members["Beta"]  # a hand-made alias of an account about to be closed
    accounts_path(aws_env).write_text(json.dumps(table))

    management = admin_client(emulator.endpoint, "organizations", own.management_account_id)
    management.close_account(AccountId=own.members["Beta"])
    management.remove_account_from_organization(AccountId=own.members["Gamma"])

    run = sync(aws_env)
    assert run.returncode == 0, run.stderr
    assert f"keep beta ({own.members['Beta']}): suspended" in run.stdout
    assert f"keep hand-beta ({own.members['Beta']}): suspended" in run.stdout
    assert f"keep gamma ({own.members['Gamma']}): left the organisation" in run.stdout
    assert "--prune" in run.stdout
    assert {"beta", "gamma", "hand-beta", "alpha"} <= set(read_accounts(aws_env))

    dry = sync(aws_env, "--prune", "--dry-run")
    assert "would remove gamma (" in dry.stdout
    assert {"beta", "gamma"} <= set(read_accounts(aws_env))

    pruned = sync(aws_env, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    after = read_accounts(aws_env)
    assert not {"beta", "gamma", "hand-beta"} & set(after)
    assert "alpha" in after and after["production"] == world.production_account_id  # outside the org: kept


def test_an_account_outside_any_organisation_is_a_clear_denial(aws_env, mfa_code):
    run = sync(aws_env, "--via", "production:read", mfa_code())
    assert_clean_failure(run, 5, "ListAccounts", "not in an AWS Organization")


@pytest.mark.parametrize("via", ["production", "production:", ":read", "production:bad*role"])
def test_a_malformed_via_is_a_usage_error(aws_env, emulator, via):
    run = sync(aws_env, "--via", via)
    assert_clean_failure(run, 2)
    assert emulator.control.calls() == {}


def test_without_via_the_first_sync_says_what_to_give(aws_env, emulator):
    assert_clean_failure(sync(aws_env), 2, "--via ACCOUNT:ROLE")


def test_a_symlinked_accounts_file_stays_a_link(aws_env, org, mfa_code, tmp_path):
    target = tmp_path / "dotfiles" / "accounts"
    target.parent.mkdir()
    target.write_text(json.dumps({"production": "111111111111"}))
    link = accounts_path(aws_env)
    link.unlink()
    link.symlink_to(target)
    assert sync(aws_env, "--via", org.via, mfa_code()).returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "production-2" in json.loads(target.read_text())
    assert (tmp_path / "dotfiles" / "accounts.bak").exists()


def test_a_member_account_may_not_list_the_organisation(aws_env, org, mfa_code):
    run = sync(aws_env, "--via", f"{org.members['Team 00']}:read", mfa_code())
    assert_clean_failure(run, 5, "ListAccounts", "AccessDeniedException", "management account")


def test_a_sync_never_overwrites_an_edit_made_meanwhile(tmp_path):
    from assume_role.accounts import writer as accounts_writer
    from assume_role.errors import AssumeRoleError

    path = tmp_path / "accounts"
    path.write_text('{"a": "111111111111"}')
    with pytest.raises(AssumeRoleError, match="changed while syncing"):
        accounts_writer.replace(path, "{}\n", expected=b'{"b": "222222222222"}')
    assert path.read_text() == '{"a": "111111111111"}'
    assert not (tmp_path / "accounts.bak").exists()


@pytest.mark.parametrize(
    ("name", "taken", "alias"),
    [
        ("Production EU (old)", set(), "production-eu-old"),
        ("  --Weird__Name--  ", set(), "weird-name"),
        ("Çà et là", set(), "ca-et-la"),
        ("日本", set(), "account-210987654321"),  # nothing left of the name
        ("Prod", {"prod", "prod-2"}, "prod-3"),
        ("logout", set(), "logout-2"),
        ("accounts", set(), "accounts-2"),
        ("x" * 80, set(), "x" * 64),
    ],
)
def test_alias_from_a_name(name, taken, alias):
    from assume_role import subcommands
    from assume_role.accounts.sync import new_alias

    forbidden = set(subcommands.BY_NAME)
    assert new_alias(name, "210987654321", taken, forbidden) == alias


def test_many_accounts_sharing_a_name_are_numbered_in_turn():
    from assume_role.accounts.sync import OrgAccount, plan

    listed = [OrgAccount(f"{100000000000 + n:012d}", "Sandbox", "ACTIVE") for n in range(1000)]
    hand_made = {"sandbox-5": "999999999991", "SANDBOX-7": "999999999992"}  # taken in any case
    added = plan(hand_made, listed, prune=False, forbidden=()).added
    numbered = [f"sandbox-{n}" for n in range(2, 1003) if n not in (5, 7)]
    assert [change.alias for change in added] == ["sandbox", *numbered]
    assert [change.id for change in added] == [account.id for account in listed]
