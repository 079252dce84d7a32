"""The pickers as a person sees them in a terminal (tmux): one rule for Enter, problems beside the question.

Account, role and region questions answer Enter the same way: a value of the
list typed in full or the only one a filter leaves is taken; a value that is
not in the list is sent only after a second Enter confirms it. A problem is
written on the question's own row, never on the terminal's last row.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from helpers import PROMPT, Terminal, write_helper
from test_terminal import rc

ROWS = 50  # helpers.Terminal's height


@pytest.fixture
def picker_env(aws_env, world, tmp_path):
    env = dict(aws_env, ASSUME_ROLE_DISABLE_PROMPT="1")
    Path(env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(
        json.dumps({alias: {"id": account_id, "roles": ["read", "admin"]} for alias, account_id in world.accounts.items()})
    )
    return env


def _visible(term: Terminal) -> list[str]:
    """The rows on screen now (not the scrollback)."""
    return term._tmux("capture-pane", "-p", "-t", "t").splitlines()


def _row_of(term: Terminal, text: str) -> tuple[int, str]:
    for index, line in enumerate(_visible(term)):
        if text in line:
            return index, line
    raise AssertionError(f"{text!r} not on screen:\n" + "\n".join(_visible(term)))


def _open(shell, env, tmp_path) -> Terminal:
    helper = write_helper(tmp_path / "bin")
    return Terminal(shell, env, rc(shell, helper), tmp_path)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_filter_means_its_only_match_in_both_pickers(shell, picker_env, world, mfa_code, tmp_path):
    with _open(shell, picker_env, tmp_path) as term:
        term.type("assume-role")
        term.key("Enter")
        term.wait_for(r"\? Account")
        term.type("stag")
        term.key("Enter")
        term.wait_for(r"\? Account staging")
        term.wait_for(r"\? Role in staging")
        # "ad" used to be sent as the role "ad": now it is admin, as "stag" is staging.
        term.type("ad")
        term.key("Enter")
        term.wait_for(rf"\? Role in staging \({world.staging_account_id}\) \[read\] admin")
        term.wait_for("MFA code for")
        term.type(mfa_code())
        term.key("Enter")
        term.wait_for_prompt()
        arn = term.run(f"{sys.executable} -c 'import boto3; print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"])'")
        assert f"assumed-role/admin/{world.user_name}" in arn


def test_a_new_role_needs_a_second_enter_and_the_problem_is_beside_it(picker_env, world, mfa_code, tmp_path, emulator):
    with _open("bash", picker_env, tmp_path) as term:
        term.type("assume-role production")
        term.key("Enter")
        term.wait_for(r"\? Role in production")
        term.type("deploy")
        term.key("Enter")
        message = "'deploy' is not a role offered for production: press Enter again to use it"
        term.wait_for(re.escape(message))
        row, line = _row_of(term, message)
        question_row, _ = _row_of(term, "? Role in production")
        assert row == question_row and "deploy  " + message in line
        assert message not in _visible(term)[-1] or row == ROWS - 1
        assert sum(emulator.control.calls().values()) == 0  # nothing sent yet
        # Typing again clears the message; the same text needs the second Enter.
        term.type("x")
        term._settle()
        assert "press Enter again" not in "\n".join(_visible(term))
        term.key("BSpace")
        term.key("Enter")
        term.wait_for("press Enter again")
        term.key("Enter")
        term.wait_for("MFA code for")
        term.type(mfa_code())
        term.key("Enter")
        term.wait_for(r"AWS denied sts:AssumeRole on arn:aws:iam::\d+:role/deploy")
        term.wait_for_prompt()


def test_an_ambiguous_filter_is_said_next_to_the_question(picker_env, tmp_path):
    with _open("zsh", picker_env, tmp_path) as term:
        term.type("assume-role")
        term.key("Enter")
        term.wait_for(r"\? Account")
        term.type("i")  # production and staging both hold an i
        term.key("Enter")
        message = "2 accounts match 'i': type more or pick one with the arrow keys"
        term.wait_for(re.escape(message))
        row, _ = _row_of(term, message)
        assert row == _row_of(term, "? Account")[0]
        assert row < 10  # the question's row near the top, not the terminal's last
        term.key("Escape")
        term.wait_for("cancelled at the account question")
        term.wait_for(re.escape(PROMPT))


def test_an_unknown_account_id_needs_a_second_enter(picker_env, tmp_path):
    with _open("fish", picker_env, tmp_path) as term:
        term.type("assume-role")
        term.key("Enter")
        term.wait_for(r"\? Account")
        term.type("444444444444")
        term.key("Enter")
        term.wait_for(re.escape("444444444444 is not in ") + r".*press Enter again to use it")
        term.key("Enter")
        term.wait_for(r"\? Role in 444444444444")
        term.key("Escape")
        term.wait_for_prompt()


def test_a_large_file_opens_in_order_with_the_last_one_first(picker_env, world, mfa_code, tmp_path):
    # 20,000 aliases, read through the index one menu at a time: the menu
    # opens with the last account used, then the aliases ignoring case.
    table = {f"team-{n:05d}": f"{200000000000 + n:012d}" for n in range(20000)}
    table.update({"Alpha": "100000000001", "beta": "100000000002", "Gamma": "100000000003"})
    table.update({alias: {"id": account_id, "roles": ["read"]} for alias, account_id in world.accounts.items()})
    accounts = Path(picker_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    accounts.write_text(json.dumps(table))
    old = time.time() - 60  # a file in use: indexed (see accounts_index)
    os.utime(accounts, (old, old))
    with _open("bash", picker_env, tmp_path) as term:
        term.type(f"assume-role staging read {mfa_code()}")
        term.key("Enter")
        term.wait_for_prompt()
        term.type("assume-role")
        term.key("Enter")
        term.wait_for(r"\? Account \[staging\]")
        term.wait_for(r"production\s+\d{12}")  # the menu is drawn after the question
        menu = [line.split()[0] for line in _visible(term) if re.match(r"\s+\S+\s+\d{12}\s*$", line)]
        assert menu[:5] == ["staging", "Alpha", "beta", "Gamma", "production"], menu
        term.type("TEAM-1999")  # filtering ignores case
        term.wait_for(r"team-19999\s+200000019999")
        assert "Alpha" not in "\n".join(_visible(term))
        term.type("9")
        term.key("Enter")  # the only match
        term.wait_for(r"\? Role in team-19999 \(200000019999\)")
        term.key("Escape")
        term.wait_for_prompt()
    assert list((Path(picker_env["XDG_CACHE_HOME"]) / "assume-role").glob("accounts-*.idx"))
