"""The plugins in a real terminal (tmux): Tab, the prompt, and assuming roles for real.

Each shell starts interactively with an rc file that loads the plugin the way
users do (`assume-role init SHELL`). The tests read the screen, so they see
what a person would: the completed command line, zsh's right prompt, colours.
The end-to-end test assumes roles against the strict AWS emulator.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from helpers import PROMPT, Terminal, strip_ansi, write_helper

TIME_LEFT = r"(?:\d{1,2}m|\dh\d\dm)"
FINGERPRINT = "env | grep -E '^(AWS_|ASSUME_ROLE_)' | sort | cksum"
HOSTILE = "$(touch pwned1)`touch pwned2`\\w%n${HOME}"
# The segment shows a role only while these two agree.
KEYS = {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE"}


def rc(shell: str, helper, extra: str = "") -> str:
    """An rc file loading the plugin as the README says, with a prompt the tests can find."""
    if shell == "fish":
        return (
            "set -g fish_greeting\n"
            f"function fish_prompt; printf '{PROMPT} '; end\n"
            f"'{helper}' init fish | source\n"
            f"set -g ASSUME_ROLE_COMMAND '{helper}'\n" + extra
        )
    lines = f"PS1='{PROMPT} '\n" if shell == "bash" else f"PROMPT='{PROMPT} '\n"
    if shell == "zsh":
        lines += "autoload -Uz compinit && compinit -u -D\n"
    return lines + f"eval \"$('{helper}' init {shell})\"\nASSUME_ROLE_COMMAND='{helper}'\n" + extra


def export(shell: str, name: str, value: str) -> str:
    quoted = "'" + value.replace("'", "'\\''") + "'" if shell != "fish" else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"set -gx {name} {quoted}" if shell == "fish" else f"export {name}={quoted}"


def assert_segment(term: Terminal, pattern: str, colour: str | None = None) -> None:
    line = term.prompt_line(colours=colour is not None)
    assert re.search(pattern, strip_ansi(line)), line
    if colour:
        assert re.search(rf"\x1b\[(?:[0-9;]*;)?{colour}m[^\x1b]*{pattern}", line), repr(line)


def assert_no_segment(term: Terminal) -> None:
    line = strip_ansi(term.prompt_line())
    assert ":" not in line, line


def test_tab_completes_alias_and_role(shell, offline_env, tmp_path):
    with Terminal(shell, offline_env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"]), tmp_path) as term:
        term.type("assume-role prod")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role production(?: |$)")
        term.type("ad")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role production admin(?: |$)")
        term.clear_line()
        # Roles assumed before complete too (staging lists none in the file).
        term.type("assume-role staging d")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role staging deploy(?: |$)")
        term.clear_line()


# oh-my-zsh's matcher-list: any case first, then a prefix of a part, then anywhere.
ZSH_MATCHERS = "zstyle ':completion:*' matcher-list 'm:{a-zA-Z}={A-Za-z}' 'r:|[._-]=* r:|=*' 'l:|=* r:|=*'\n"


# Only zsh's matching depends on its configuration.
@pytest.mark.parametrize(
    ("shell", "matchers"), [("bash", False), ("zsh", True), ("zsh", False), ("fish", True)],
    ids=["bash", "zsh-matcher-list", "zsh-plain", "fish"],
)
def test_tab_in_a_large_file_matches_as_the_shell_does(shell, offline_env, tmp_path, matchers):
    # 20,000 aliases: the helper looks up only what the shell's own matching
    # could show (prefixes, any case, or inside the alias), through the index.
    accounts = Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    table = {f"team-{n:05d}": f"{200000000000 + n:012d}" for n in range(20000)}
    table.update({"production": "111111111111", "Payments-EU": "222222222222", "prod-archive": "333333333333"})
    accounts.write_text(json.dumps(table))
    old = time.time() - 60  # a file in use: indexed (see accounts_index)
    os.utime(accounts, (old, old))
    extra = ZSH_MATCHERS if shell == "zsh" and matchers else ""
    with Terminal(shell, offline_env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"], extra), tmp_path) as term:
        term.type("assume-role Pay")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role Payments-EU(?: |$)")
        term.clear_line()
        if not matchers:
            # A true prefix only: "pay" is not one of "Payments-EU", nor "duction" of "production".
            for typed in ("pay", "duction"):
                term.type(f"assume-role {typed}")
                term.key("Tab")
                term.type("X")  # typed after the Tab: shows the line was left as it was
                term.wait_for(rf"{PROMPT} assume-role {typed}X\s*$")
                term.clear_line()
            return
        term.type("assume-role PAY")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role Payments-EU(?: |$)")
        term.clear_line()
        term.type("assume-role duction")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role production(?: |$)")
        term.clear_line()
    assert list((Path(offline_env["XDG_CACHE_HOME"]) / "assume-role").glob("accounts-*.idx"))


def test_prompt_states_and_clear(shell, offline_env, tmp_path):
    with Terminal(shell, offline_env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"]), tmp_path) as term:
        assert_no_segment(term)
        clean = term.run(FINGERPRINT)
        now = int(time.time())
        term.run(f"{export(shell, 'AWS_ACCOUNT_NAME', 'production')}; {export(shell, 'AWS_ACCOUNT_ROLE', 'read')}")
        term.run(f"{export(shell, 'AWS_ACCESS_KEY_ID', 'ASIAX')}; {export(shell, 'ASSUME_ROLE_ACCESS_KEY_ID', 'ASIAX')}")
        term.run(export(shell, "ASSUME_ROLE_EXPIRES_AT", str(now + 3700)))
        assert_segment(term, r"production:read 1h01m", colour="32")
        term.run(export(shell, "ASSUME_ROLE_EXPIRES_AT", str(now + 330)))
        assert_segment(term, r"production:read [45]m", colour="33")
        term.run(export(shell, "ASSUME_ROLE_EXPIRES_AT", str(now - 5)))
        assert_segment(term, r"production:read expired", colour="31")
        # Another tool replaces the credentials: the role is no longer claimed.
        term.run(export(shell, "AWS_ACCESS_KEY_ID", "AKIAOTHER"))
        assert_no_segment(term)
        term.run("assume-role clear")
        assert_no_segment(term)
        assert term.run(FINGERPRINT) == clean


def test_disable_prompt(shell, offline_env, tmp_path):
    env = {**offline_env, **KEYS, "ASSUME_ROLE_DISABLE_PROMPT": "1", "AWS_ACCOUNT_NAME": "production", "AWS_ACCOUNT_ROLE": "read"}
    with Terminal(shell, env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"]), tmp_path) as term:
        assert_no_segment(term)


# Start-up files that already have a right prompt when the plugin loads: a
# theme's, one built by a plugin like oh-my-zsh's aws plugin (a command
# substitution, with prompt_subst), and fish's own function. The plugin is
# loaded twice, as a re-sourced rc file would.
RIGHT_PROMPTS = {
    "zsh-theme": ("zsh", "RPROMPT='%F{blue}[theme]%f'\n", r"\[theme\]"),
    "zsh-aws-plugin": (
        "zsh",
        "setopt prompt_subst\n"
        "user_aws_info() { print -rn -- \"<aws=${AWS_REGION:-none}>\" }\n"
        "RPROMPT='$(user_aws_info)'\"$RPROMPT\"\n",
        r"<aws=(none|eu-west-1|us-east-1)>",
    ),
    "fish": ("fish", "function fish_right_prompt; set -l s $status; set_color blue; printf '[mine %s]' $s; set_color normal; end\n", r"\[mine \d+\]"),
}


@pytest.mark.parametrize("case", RIGHT_PROMPTS)
def test_segment_beside_an_existing_right_prompt(case, aws_env, mfa_code, tmp_path):
    shell, setup, theirs = RIGHT_PROMPTS[case]
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper), "TERM": "xterm-256color"}
    start = setup + rc(shell, helper) + rc(shell, helper).split("\n", 1)[1]
    if shell == "fish":
        # config.fish runs before the first prompt, as a theme would.
        start = rc(shell, helper) + setup + f"'{helper}' init fish | source\n"
    with Terminal(shell, env, start, tmp_path) as term:
        line = strip_ansi(term.prompt_line())
        assert re.search(theirs, line) and "production" not in line, line
        term.run(f"assume-role production read {mfa_code()}")
        line = strip_ansi(term.prompt_line())
        assert re.search(rf"production:read {TIME_LEFT} {theirs}\s*$", line), line
        assert line.count("production:read") == 1
        if shell == "fish":
            # The user's right prompt still sees the status of the command.
            term.type("false")
            term.key("Enter")
            term.wait_for(r"production:read \S+ \[mine 1\]\s*$")
        term.run("ASSUME_ROLE_DISABLE_PROMPT=1" if shell == "zsh" else "set -g ASSUME_ROLE_DISABLE_PROMPT 1")
        line = strip_ansi(term.prompt_line())
        assert "production:read" not in line and re.search(theirs, line), line
        # The functions for placing it by hand still work.
        by_hand = 'print -P -- "($(assume_role_prompt_info))"' if shell == "zsh" else "echo \"(\"(assume_role_prompt)\")\""
        assert re.search(rf"^\(production:read {TIME_LEFT}\)$", strip_ansi(term.run(by_hand)), re.M)


def test_inherited_starship_shell_keeps_the_segment(shell, offline_env, tmp_path):
    # A parent shell ran starship; this one draws its own prompt.
    env = {**offline_env, **KEYS, "STARSHIP_SHELL": shell, "AWS_ACCOUNT_NAME": "production", "AWS_ACCOUNT_ROLE": "read"}
    with Terminal(shell, env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"]), tmp_path) as term:
        assert_segment(term, "production:read")


def test_fish_prompt_drawn_by_starship_is_left_alone(offline_env, tmp_path):
    # starship's fish prompt runs `starship prompt` (here never reached).
    env = {**offline_env, **KEYS, "AWS_ACCOUNT_NAME": "production", "AWS_ACCOUNT_ROLE": "read"}
    extra = f"function fish_prompt; printf '{PROMPT} '; or starship prompt; end\n"
    with Terminal("fish", env, rc("fish", offline_env["ASSUME_ROLE_COMMAND"], extra), tmp_path) as term:
        term.run("true")
        assert_no_segment(term)


def test_hostile_alias_is_shown_not_run(shell, offline_env, tmp_path):
    _hostile(shell, offline_env, tmp_path)


def test_hostile_alias_with_zsh_prompt_subst(offline_env, tmp_path):
    # oh-my-zsh turns prompt_subst on: RPROMPT must then not hold the text.
    _hostile("zsh", offline_env, tmp_path, "setopt prompt_subst\n")


def _hostile(shell, offline_env, tmp_path, extra=""):
    env = {**offline_env, **KEYS, "AWS_ACCOUNT_NAME": HOSTILE, "AWS_ACCOUNT_ROLE": "read"}
    work = tmp_path / "cwd"
    work.mkdir()
    with Terminal(shell, env, rc(shell, offline_env["ASSUME_ROLE_COMMAND"], extra), tmp_path, cwd=work) as term:
        assert HOSTILE + ":read" in term.prompt_line()
        term.run("true")
        assert HOSTILE + ":read" in term.prompt_line()
    assert not list(work.glob("pwned*"))


def test_assume_against_the_emulator(shell, aws_env, mfa_code, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper), "TERM": "xterm-256color"}
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        clean = term.run(FINGERPRINT)

        # A refused MFA code: the prompt and the environment stay as they were.
        output = term.run("assume-role production read 000000")
        assert "assume-role:" in output
        assert_no_segment(term)
        assert term.run(FINGERPRINT) == clean

        term.run(f"assume-role production read {mfa_code()}")
        assert_segment(term, rf"production:read {TIME_LEFT}", colour="32")
        assumed = term.run(FINGERPRINT)
        assert assumed != clean
        assert "111111111111" in term.run("echo $AWS_ACCOUNT_ID")

        # A role AWS refuses: the previous role stays in place, untouched.
        output = term.run(f"assume-role production nosuchrole {mfa_code()}")
        assert "assume-role:" in output
        assert_segment(term, rf"production:read {TIME_LEFT}")
        assert term.run(FINGERPRINT) == assumed

        # The role assumed is now offered by completion for the other account.
        term.run(f"assume-role staging admin {mfa_code()}")
        assert_segment(term, rf"staging:admin {TIME_LEFT}")
        term.type("assume-role staging ad")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role staging admin(?: |$)")
        term.clear_line()

        term.run("assume-role clear")
        assert_no_segment(term)


# Every character that means something to bash, inside or outside quotes.
# It starts with a letter no subcommand starts with, so Tab has one candidate.
ODD_ALIAS = "x$(touch pwned1)b\"c`touch pwned2`d\\e!f'g h;i"


@pytest.mark.parametrize("typed", ["x", '"x', "'x", 'x"$(t', "x'$(t"], ids=["unquoted", "double", "single", "mid-word-double", "mid-word-single"])
def test_bash_tab_quotes_for_the_open_quote(offline_env, tmp_path, typed):
    # Tab inserts the alias quoted for where the cursor is; the command line
    # then gives back exactly the alias, and runs nothing.
    Path(offline_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps({ODD_ALIAS: "111111111111"}))
    work = tmp_path / "cwd"
    work.mkdir()
    with Terminal("bash", offline_env, rc("bash", offline_env["ASSUME_ROLE_COMMAND"]), tmp_path, cwd=work) as term:
        term.type(f"assume-role {typed}")
        term.key("Tab")
        term.wait_for(rf"{PROMPT} assume-role .*i\S* ?$")
        # The same words, printed instead of run.
        term.key("C-a")
        term.type("printf '<%s>\\n' ")
        term.key("C-e")
        output = term.run("")
        assert output.splitlines()[-1] == f"<{ODD_ALIAS}>", term.screen()
    assert not list(work.glob("pwned*"))
