"""The accounts file as the original tool's users have it: numbers, and one bad entry among good ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli
from test_assume import eval_line, exports_of, shell_session
from test_interactive import terminal  # noqa: F401 (fixture)


def _write(aws_env, table: dict) -> None:
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps(table))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_twelve_digit_number_is_an_account_id(shell, aws_env, world, mfa_code):
    # As in the original tool's own fixture: "dev": 123456789012, unquoted.
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        f'{{"dev": {world.production_account_id}, "staging": {{"id": {world.staging_account_id}}}}}\n'
    )
    line = eval_line(shell, "dev", "read", mfa_code())
    result = shell_session(shell, aws_env, [line, 'echo "$AWS_ACCOUNT_NAME $AWS_ACCOUNT_ID"'])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"dev {world.production_account_id}\n"
    staging = run_cli(aws_env, "--shell", "bash", "staging", "read")
    assert exports_of(staging.stdout)["AWS_ACCOUNT_ID"] == world.staging_account_id


BAD = {
    "short": (12345678901, "is the number 12345678901, which has only 11 digits", '"012345678901"'),
    "long": (1234567890123, "must be a string of 12 digits", None),
    "letters": ("12345678901a", "must be a string of 12 digits", None),
    "float": (123456789012.0, "must be a string of 12 digits", None),
    "flag": (True, "must be a string of 12 digits", None),
    "listed": ([1], "must be a string of 12 digits", None),
    "roles": ({"id": "333333333333", "roles": "read"}, "'roles' of 'roles' must be a list", None),
    "region": ({"id": "333333333333", "region": "Paris"}, "'region' of 'region' must be a region code", None),
}


def test_a_bad_entry_is_an_error_only_when_asked_for(aws_env, world, mfa_code):
    table = {name: value for name, (value, _, _) in BAD.items()}
    _write(aws_env, {**table, "production": world.production_account_id})
    good = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert good.returncode == 0 and good.stderr == "", good.stderr
    for name, (_, message, hint) in BAD.items():
        run = run_cli(aws_env, "--shell", "bash", name, "read", "123456")
        assert_clean_failure(run, 2, f"accounts file {aws_env['ASSUME_ROLE_ACCOUNTS_FILE']}", message)
        if hint:
            assert "leading zeros" in run.stderr and hint in run.stderr
        # One entry's problem names only that entry.
        assert all(other not in run.stderr for other in BAD if other not in (name, "roles", "region"))


def test_completion_skips_bad_entries_and_offers_numbers(aws_env, world):
    table = {name: value for name, (value, _, _) in BAD.items()}
    _write(aws_env, {**table, "dev": int(world.production_account_id)})
    run = run_cli(aws_env, "__complete", "--shell", "fish", "--", "")
    assert run.returncode == 0 and run.stderr == ""
    offered = {line.split("\t")[0] for line in run.stdout.splitlines()}
    assert "dev" in offered
    assert not offered & set(BAD)
    roles = run_cli(aws_env, "__complete", "--shell", "fish", "--", "dev", "")
    assert roles.returncode == 0


def test_the_picker_skips_bad_entries(terminal, aws_env, world, mfa_code):
    _write(aws_env, {"short": 12345678901, "dev": int(world.production_account_id), "zz": world.staging_account_id})
    term = terminal("bash")
    child = term.child
    term.run("assume-role")
    child.expect_exact("Account")
    child.expect_exact("dev")
    child.send("short")
    child.send("\r")
    child.expect_exact("no account matches 'short'")
    child.send("\x15dev\r")
    child.expect_exact(f"Role in dev ({world.production_account_id})")
    child.send("read\r")
    child.expect_exact("MFA code for")
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    assert term.identity().startswith(f"arn:aws:sts::{world.production_account_id}:assumed-role/read/")


def test_the_beginning_of_an_alias_names_it(aws_env, emulator):
    run = run_cli(aws_env, "--shell", "bash", "prod", "read", "123456")
    assert_clean_failure(run, 2, "unknown account alias 'prod'; did you mean production?")
    assert emulator.control.calls() == {}  # nothing was sent: the code is not spent


def test_a_missing_accounts_file_says_where_it_was_looked_for_and_how_to_make_one(aws_env, world, emulator, mfa_code):
    path = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    path.unlink()
    run = run_cli(aws_env, "--shell", "bash", "production", "read", "123456")
    assert_clean_failure(run, 2, "'production'", f"there is no accounts file at {path}",
                         "assume-role accounts sync --via ACCOUNT:ROLE", '{"production": "123456789012"}')
    assert emulator.control.calls() == {}
    # An account id needs no file.
    by_id = run_cli(aws_env, "--shell", "bash", world.production_account_id, "read", mfa_code())
    assert by_id.returncode == 0 and by_id.stderr == "", by_id.stderr
