"""Help that tells the whole truth, and warnings that say it once."""

from __future__ import annotations

import re

import pytest

from support import run_cli
from test_assume import exports_of

# What a person can type after assume-role, in the order --help and Tab show it.
PUBLIC = ["clear", "init", "status", "logout", "accounts", "keys", "demo", "exec", "serve", "credential-process", "console",
          "help"]


def _subcommand_lines(text: str) -> dict[str, str]:
    block = text.split("subcommands:\n", 1)[1].split("\n\n", 1)[0]
    # Continuation lines are indented under the text column.
    return {line.split()[0]: line for line in block.splitlines() if not line.startswith("   ")}


def test_help_lists_every_subcommand_on_one_line(aws_env):
    run = run_cli(aws_env, "--help")
    assert run.returncode == 0
    listed = _subcommand_lines(run.stdout)
    assert list(listed) == PUBLIC
    for line in run.stdout.splitlines():
        assert len(line) <= 80, line


def test_status_help_is_clean_and_names_exit_7(aws_env):
    run = run_cli(aws_env, "status", "--help")
    assert run.returncode == 0
    assert "``" not in run.stdout and "`" not in run.stdout
    assert re.search(r"^\s+7\s+no role is assumed", run.stdout, re.MULTILINE)


def test_accounts_help_is_a_help_text(aws_env):
    run = run_cli(aws_env, "accounts", "--help")
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: assume-role accounts ")
    assert "``" not in run.stdout  # no reStructuredText from a docstring
    assert re.search(r"^\s+list\s+\w", run.stdout, re.MULTILINE)
    assert re.search(r"^\s+sync\s+\w", run.stdout, re.MULTILINE)
    assert "assume-role accounts sync --via" in run.stdout
    for line in run.stdout.splitlines():
        assert len(line) <= 80, line


def test_keys_help_is_a_help_text(aws_env):
    run = run_cli(aws_env, "keys", "--help")
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: assume-role keys ")
    for action in ("add", "list", "remove", "rotate", "credential-process"):
        assert re.search(rf"^\s+{action}\s+\w", run.stdout, re.MULTILINE), action
        assert run_cli(aws_env, "keys", action, "--help").stdout.startswith(f"usage: assume-role keys {action}")
    for line in run.stdout.splitlines():
        assert len(line) <= 80, line


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("word", ["clear", "help"])
def test_clear_and_help_have_a_short_help_of_their_own(word, flag, aws_env):
    run = run_cli(aws_env, word, flag)
    assert run.returncode == 0 and run.stderr == ""
    assert re.match(rf"usage: assume-role {word}( \[SUBCOMMAND\])?\n", run.stdout), run.stdout
    # Theirs, not the main command's page.
    assert "environment:" not in run.stdout and "exit codes:" not in run.stdout
    assert len(run.stdout.splitlines()) < 10


def test_clear_help_through_the_plugin_is_nothing_to_evaluate(aws_env):
    run = run_cli(aws_env, "--shell", "bash", "clear", "--help")
    assert run.returncode == 0 and run.stdout == ""
    assert run.stderr.startswith("usage: assume-role clear\n"), run.stderr


def test_help_still_shows_everything_and_clear_still_clears(aws_env):
    assert "environment:" in run_cli(aws_env, "help").stdout
    assert "unset AWS_SESSION_TOKEN;" in run_cli(aws_env, "--shell", "bash", "clear").stdout


def test_keyring_without_a_backend_warns_once_on_one_line(aws_env, emulator, mfa_code):
    aws_env.update(ASSUME_ROLE_CACHE="keyring", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    run = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_ACCOUNT_ROLE"] == "read"
    assert run.stderr.splitlines() == [
        "assume-role: warning: no system keyring is available for ASSUME_ROLE_CACHE=keyring: "
        "sessions are not kept; install a keyring backend or set ASSUME_ROLE_CACHE=file"
    ]


def test_help_names_a_subcommand_and_every_subcommand_has_its_own_help(aws_env):
    for name in PUBLIC:
        own = run_cli(aws_env, name, "--help")
        assert own.returncode == 0 and own.stdout.startswith(f"usage: assume-role {name}"), (name, own.stdout)
        assert run_cli(aws_env, "help", name).stdout == own.stdout
    wrong = run_cli(aws_env, "help", "nope")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.count("\n") == 1 and "console" in wrong.stderr


def test_the_quick_reading_of_arguments_agrees_with_argparse():
    # The main command's usual argv is read without argparse (a cache hit
    # must not import it); for every argv it accepts, the result is argparse's.
    import argparse

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from assume_role import cli

    words = st.sampled_from(
        ["--shell", "bash", "fish", "zsh", "nope", "--output-fd", "2", "1", "99", "-v", "--verbose", "--refresh",
         "--unset", "production", "read", "123456", "eu-west-1", "", "-", "--", "-x", "--shell=zsh"]
    )

    @settings(max_examples=400, deadline=None)
    @given(st.lists(words, max_size=9))
    def agree(argv):
        quick = cli.plain_arguments(argv)
        if quick is None:
            return
        full = cli.build_parser().parse_args(argv)
        assert vars(quick) == vars(full), argv

    agree()
    assert isinstance(cli.build_parser().parse_args([]), argparse.Namespace)
    assert cli.plain_arguments(["--shell", "zsh", "--output-fd", "2", "production", "read"]).role == "read"


def test_credential_process_help_explains_each_argument(aws_env):
    run = run_cli(aws_env, "credential-process", "--help")
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: assume-role credential-process [-v] [--region REGION] ACCOUNT ROLE [MFA_TOKEN]\n")
    # Each word of the usage line has a line of its own that says what it is.
    for word in ("ACCOUNT", "ROLE", "MFA_TOKEN", "--region REGION", "--profiles", "--write", "--command COMMAND"):
        assert re.search(rf"^  (-\w, )?{re.escape(word)}\s+\w", run.stdout, re.MULTILINE), word
    for line in run.stdout.split("\n\n", 1)[1].splitlines():  # the text below the usage lines
        assert len(line) <= 80, line
