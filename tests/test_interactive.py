"""The pickers and the MFA prompt, driven in a real terminal through each shell.

Every terminal test starts an interactive bash, zsh or fish in a pty (pexpect)
with the plugin loaded, runs the `assume-role` function with values missing,
answers the questions as a person would, and then checks the identity the
shell holds with sts:GetCallerIdentity against the emulator. A second group
checks what happens without a terminal: an immediate, clear failure that
names the missing value and reads nothing from stdin.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from assume_role import interactive
from assume_role.accounts import Account
from assume_role.accounts.views import TableView
from support import Run, assert_clean_failure, run_cli

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "READY> "
ROWS, COLUMNS = 30, 110
DOWN = "\x1b[B"
ESC = "\x1b"
CTRL_C = "\x03"

# A command that prints the caller's identity, the same in every shell. The
# output ("ID = arn...") differs from the echoed command line ('"ID", "="').
IDENTITY = (
    f"{sys.executable} -c 'import boto3; "
    'print("ID", "=", boto3.client("sts").get_caller_identity()["Arn"])\''
)
# Whether any AWS credential variable is set, and the terminal's line mode.
LEFTOVERS = (
    f"{sys.executable} -c 'import os; "
    'print("KEYS", "=", sorted(k for k in os.environ if k.startswith("AWS_ACC") or k.startswith("AWS_SESSION")))\''
)
TTY_MODE = (
    f"{sys.executable} -c 'import termios; a = termios.tcgetattr(0)[3]; "
    'print("MODE", "=", "canonical" if a & termios.ICANON else "raw", "echo" if a & termios.ECHO else "noecho")\''
)
STATUS = {"bash": 'echo "rc:$?"', "zsh": 'echo "rc:$?"', "fish": 'echo "rc:$status"'}


# -- the shell in a terminal ------------------------------------------------------


def _require(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{shell} is not installed, and CI must test it")
        pytest.skip(f"{shell} is not installed")
    return path


class Terminal:
    """An interactive shell in a pty, with the plugin loaded and a fixed prompt."""

    def __init__(self, shell: str, env: dict[str, str], home: Path):
        self.shell = shell
        binary = _require(shell)
        env = dict(env)
        env.update(
            TERM="xterm-256color",
            LC_ALL="C.UTF-8",
            # pexpect is no terminal emulator: it would never answer
            # prompt_toolkit's cursor position request.
            PROMPT_TOOLKIT_NO_CPR="1",
            ASSUME_ROLE_DISABLE_PROMPT="1",
            PATH=f"{_wrapper_dir(home)}{os.pathsep}{env.get('PATH', '')}",
        )
        args = self._setup(binary, env, home)
        self.child = pexpect.spawn(
            binary, args, env=env, dimensions=(ROWS, COLUMNS), encoding="utf-8", timeout=30, codec_errors="replace"
        )
        self.expect_prompt()

    def _setup(self, binary: str, env: dict[str, str], home: Path) -> list[str]:
        if self.shell == "bash":
            rc = home / "test.bashrc"
            rc.write_text(
                f"source {ROOT / 'bash' / 'assume-role.bash'}\n"
                "bind 'set enable-bracketed-paste off' 2>/dev/null\n"
                f"PS1='{PROMPT}'\n"
            )
            return ["--noprofile", "--rcfile", str(rc), "-i"]
        if self.shell == "zsh":
            zdotdir = home / "zdotdir"
            zdotdir.mkdir(exist_ok=True)
            (zdotdir / ".zshrc").write_text(
                f"source {ROOT / 'zsh' / 'assume-role.plugin.zsh'}\n"
                "unsetopt prompt_sp zle_bracketed_paste 2>/dev/null\n"
                f"PROMPT='{PROMPT}'\nRPROMPT=''\n"
            )
            env["ZDOTDIR"] = str(zdotdir)
            return ["-i"]
        fish = ROOT / "fish"
        init = (
            f"set -g fish_function_path {fish / 'functions'} $fish_function_path; "
            f"source {fish / 'conf.d' / 'assume-role.fish'}; "
            "set -g fish_greeting; "
            f"function fish_prompt; printf '%s' '{PROMPT}'; end; "
            "function fish_right_prompt; end"
        )
        return ["--no-config", "-i", "-C", init]

    def expect_prompt(self) -> None:
        self.child.expect_exact(PROMPT)

    def run(self, command: str) -> None:
        self.child.sendline(command)

    def value(self, name: str) -> str:
        """The text after "NAME = " on the next line that has it."""
        self.child.expect(rf"{name} = ([^\r\n]*)\r?\n")
        return self.child.match.group(1)

    def status(self) -> int:
        self.run(STATUS[self.shell])
        self.child.expect(r"rc:(\d+)")
        status = int(self.child.match.group(1))
        self.expect_prompt()
        return status

    def identity(self) -> str:
        self.run(IDENTITY)
        arn = self.value("ID")
        self.expect_prompt()
        return arn

    def leftovers(self) -> str:
        self.run(LEFTOVERS)
        keys = self.value("KEYS")
        self.expect_prompt()
        return keys

    def tty_mode(self) -> str:
        self.run(TTY_MODE)
        mode = self.value("MODE")
        self.expect_prompt()
        return mode

    def close(self) -> None:
        self.child.close(force=True)


def _wrapper_dir(home: Path) -> Path:
    """A directory whose `assume-role` runs this checkout with this Python."""
    directory = home / "bin"
    directory.mkdir(exist_ok=True)
    wrapper = directory / "assume-role"
    if not wrapper.exists():
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m assume_role "$@"\n')
        wrapper.chmod(0o755)
    return directory


SHELLS = ["bash", "zsh", "fish"]


@pytest.fixture
def terminal(aws_env, tmp_path):
    opened = []

    def open_terminal(shell: str, env: dict[str, str] | None = None) -> Terminal:
        term = Terminal(shell, env or aws_env, tmp_path)
        opened.append(term)
        return term

    yield open_terminal
    for term in opened:
        term.close()


def _role_arn_pattern(account_id: str, role: str, user: str) -> str:
    return rf"arn:aws:sts::{account_id}:assumed-role/{role}/{user}"


# -- pickers, MFA prompt and the exported identity ---------------------------------


def _accounts_with_roles(aws_env, world) -> None:
    """The accounts file in its richer form, which lists roles to offer."""
    accounts = {alias: {"id": account_id, "roles": ["read", "admin"]} for alias, account_id in world.accounts.items()}
    Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]).write_text(json.dumps(accounts))


@pytest.mark.parametrize("shell", SHELLS)
def test_pickers_and_mfa_prompt_assume_the_role(shell, terminal, aws_env, world, mfa_code):
    _accounts_with_roles(aws_env, world)
    term = terminal(shell)
    child = term.child
    term.run("assume-role")
    child.expect_exact("Account")
    # Type to filter; one account is left, so Enter takes it.
    child.send("prod")
    child.expect_exact("production")
    child.send("\r")
    child.expect_exact(f"Role in production ({world.production_account_id})")
    # The roles listed for the account are offered in a menu: the arrow keys
    # move onto the second one.
    child.expect_exact("admin")
    child.send(DOWN + DOWN + "\r")
    child.expect_exact(f"MFA code for {world.mfa_serial} (session lasts 12h)")
    code = mfa_code()
    child.send(code + "\r")
    term.expect_prompt()
    # The code was typed into a hidden field: it never showed on the screen.
    assert code not in child.before
    assert term.status() == 0
    assert re.fullmatch(_role_arn_pattern(world.production_account_id, "admin", world.user_name), term.identity())


def test_last_choices_are_offered_first(terminal, aws_env, world, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "staging", "read", mfa_code()).returncode == 0
    term = terminal("bash")
    child = term.child
    term.run("assume-role")
    child.expect_exact("Account [staging]")
    child.send("\r")
    child.expect_exact(f"Role in staging ({world.staging_account_id}) [read]")
    child.send("\r")
    # The MFA session of the first run is reused: no code is asked for.
    term.expect_prompt()
    assert term.status() == 0
    assert re.fullmatch(_role_arn_pattern(world.staging_account_id, "read", world.user_name), term.identity())


def test_account_id_and_free_role_name_can_be_typed(terminal, world, mfa_code):
    term = terminal("bash")
    child = term.child
    term.run("assume-role")
    child.expect_exact("Account")
    child.send(world.staging_account_id + "\r")
    child.expect_exact(f"Role in staging ({world.staging_account_id})")
    child.send("read\r")
    child.expect_exact("MFA code for")
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    assert re.fullmatch(_role_arn_pattern(world.staging_account_id, "read", world.user_name), term.identity())


def test_mfa_field_accepts_only_six_digits(terminal, world, mfa_code):
    term = terminal("bash")
    child = term.child
    term.run("assume-role production read")
    child.expect_exact("MFA code for")
    child.send("12a45\r")
    child.expect_exact("the MFA code is 6 digits")
    child.send("\x15")  # Ctrl-U: clear the line
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    assert re.fullmatch(_role_arn_pattern(world.production_account_id, "read", world.user_name), term.identity())


def test_region_is_asked_only_when_nothing_names_one(terminal, aws_env, world, mfa_code):
    Path(aws_env["AWS_CONFIG_FILE"]).write_text("[default]\n")
    term = terminal("bash")
    child = term.child
    term.run("assume-role production read")
    child.expect_exact("Region [us-east-1]")
    child.send("eu-west\r")
    child.expect_exact("3 regions match 'eu-west'")
    # Typing filters by name as well; one region left is the answer.
    child.send("\x15london\r")
    child.expect_exact("MFA code for")
    child.send(mfa_code() + "\r")
    term.expect_prompt()
    assert term.status() == 0
    term.run(f"{sys.executable} -c 'import os; print(\"REGION\", \"=\", os.environ[\"AWS_REGION\"])'")
    assert term.value("REGION") == "eu-west-2"
    term.expect_prompt()
    # Now AWS_REGION names one: no question.
    term.run("assume-role staging read")
    term.expect_prompt()
    assert term.status() == 0
    assert "Region [" not in child.before


# -- failures at the prompt ------------------------------------------------------------


@pytest.mark.parametrize("shell", SHELLS)
def test_wrong_mfa_code_exports_nothing(shell, terminal, mfa_code):
    term = terminal(shell)
    child = term.child
    term.run("assume-role production read")
    child.expect_exact("MFA code for")
    good = mfa_code()
    wrong = f"{(int(good) + 500_000) % 1_000_000:06d}"
    child.send(wrong + "\r")
    child.expect_exact("assume-role: AWS refused the MFA code")
    term.expect_prompt()
    assert term.status() == 4
    assert term.leftovers() == "[]"


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("key", [CTRL_C, ESC], ids=["ctrl-c", "esc"])
def test_cancel_at_the_account_picker(shell, key, terminal):
    term = terminal(shell)
    child = term.child
    term.run("assume-role")
    child.expect_exact("Account")
    child.send(key)
    child.expect_exact("cancelled at the account question; nothing was changed")
    term.expect_prompt()
    assert term.status() == 130
    assert term.leftovers() == "[]"
    assert term.tty_mode() == "canonical echo"


@pytest.mark.parametrize("key", [CTRL_C, ESC], ids=["ctrl-c", "esc"])
@pytest.mark.parametrize("stage", ["role", "MFA code"])
def test_cancel_at_later_questions(stage, key, terminal):
    term = terminal("bash")
    child = term.child
    term.run("assume-role production" if stage == "role" else "assume-role production read")
    child.expect_exact("Role in production" if stage == "role" else "MFA code for")
    child.send(key)
    child.expect_exact(f"cancelled at the {stage} question; nothing was changed")
    term.expect_prompt()
    assert term.status() == 130
    assert term.leftovers() == "[]"
    assert term.tty_mode() == "canonical echo"


def test_cancel_keeps_the_previous_role(terminal, world, mfa_code):
    term = terminal("zsh")
    child = term.child
    term.run(f"assume-role production read {mfa_code()}")
    term.expect_prompt()
    assert term.status() == 0
    term.run("assume-role")
    child.expect_exact("Account [production]")
    child.send(CTRL_C)
    term.expect_prompt()
    assert term.status() == 130
    assert re.fullmatch(_role_arn_pattern(world.production_account_id, "read", world.user_name), term.identity())


# -- the MFA command in a terminal -------------------------------------------------------


def test_mfa_command_replaces_the_prompt(terminal, aws_env, world, tmp_path):
    env = dict(aws_env, ASSUME_ROLE_MFA_PROCESS=f"{sys.executable} {_minting_script(tmp_path, world)}")
    term = terminal("bash", env)
    child = term.child
    term.run("assume-role production")
    child.expect_exact("Role in production")
    child.send("read\r")
    term.expect_prompt()
    assert "MFA code for" not in child.before
    assert term.status() == 0
    assert re.fullmatch(_role_arn_pattern(world.production_account_id, "read", world.user_name), term.identity())


def _minting_script(directory: Path, world) -> Path:
    """A stand-in for `ykman oath accounts code`: prints a fresh code."""
    script = directory / "mint_code.py"
    script.write_text(
        "from assume_role_lab.emulator.control import Control\n"
        f"print(Control({world.endpoint!r}).mfa_code({world.mfa_serial!r}))\n"
    )
    return script


# -- without a terminal ----------------------------------------------------------------------


def test_no_terminal_names_the_missing_account_and_role(aws_env):
    run = run_cli(aws_env)
    assert_clean_failure(run, 2, "missing ACCOUNT and ROLE", "no terminal")


def test_no_terminal_names_the_missing_role(aws_env):
    assert_clean_failure(run_cli(aws_env, "production"), 2, "missing ROLE", "no terminal")


def test_no_terminal_and_no_code_fails_without_reading_stdin(aws_env, world):
    # A code on stdin is not read: only a terminal is ever asked.
    result = subprocess.run(
        [sys.executable, "-m", "assume_role", "production", "read"],
        env=aws_env,
        input="123456\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    run = Run(result.returncode, result.stdout, result.stderr)
    assert_clean_failure(run, 2, f"an MFA code for {world.mfa_serial} is needed", "no terminal", "MFA_TOKEN")


def test_no_controlling_terminal_fails_at_once(aws_env):
    # A new session has no controlling terminal: /dev/tty cannot be opened.
    result = subprocess.run(
        [sys.executable, "-m", "assume_role", "production"],
        env=aws_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "missing ROLE" in result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_no_terminal_through_the_shell_function(shell, aws_env):
    binary = _require(shell)
    home = Path(aws_env["HOME"])
    env = dict(aws_env, PATH=f"{_wrapper_dir(home)}{os.pathsep}{aws_env['PATH']}")
    if shell == "fish":
        script = (
            f"set -g fish_function_path {ROOT / 'fish' / 'functions'} $fish_function_path\n"
            "assume-role production\n"
            'echo "rc:$status"\n'
            "set -q AWS_ACCESS_KEY_ID; and echo leaked\n"
        )
        args = [binary, "--no-config", "-c", script]
    else:
        plugin = ROOT / ("bash/assume-role.bash" if shell == "bash" else "zsh/assume-role.plugin.zsh")
        script = (
            f"source {plugin}\n"
            "assume-role production\n"
            'echo "rc:$?"\n'
            '[ -n "${AWS_ACCESS_KEY_ID-}" ] && echo leaked\n'
        )
        args = [binary, "-c", script]
    result = subprocess.run(
        args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, start_new_session=True
    )
    assert "rc:2" in result.stdout
    assert "leaked" not in result.stdout
    assert "missing ROLE" in result.stderr


def test_questions_are_not_loaded_when_every_value_is_given(aws_env, mfa_code):
    probe = (
        "import sys\n"
        "from assume_role import cli\n"
        "status = cli.main(['--shell', 'sh', 'production', 'read', sys.argv[1]])\n"
        "loaded = [m for m in ('questionary', 'prompt_toolkit') if m in sys.modules]\n"
        "print(json.dumps({'status': status, 'loaded': loaded}), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe, mfa_code()],
        env=aws_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report == {"status": 0, "loaded": []}


# -- the pieces, without a terminal -------------------------------------------------------------


def test_available_needs_stdin_to_be_a_terminal():
    result = subprocess.run(
        [sys.executable, "-c", "from assume_role import interactive; print(interactive.available())"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False"


def test_available_needs_a_controlling_terminal():
    # stdin is a pty, but the child runs in a session without a controlling terminal.
    leader, follower = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-c", "from assume_role import interactive; print(interactive.available())"],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert result.stdout.strip() == "False"


def _isolated_history(monkeypatch, tmp_path, data: dict) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = tmp_path / "assume-role" / "history.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))


def test_role_order_recent_first_then_configured(monkeypatch, tmp_path):
    _isolated_history(monkeypatch, tmp_path, {"roles": {"111111111111": ["admin", "bad role"]}})
    account = Account("production", "111111111111", roles=("read", "admin", "billing"))
    assert interactive.role_order(account) == ["admin", "read", "billing"]


def _judge_account(text: str, known: dict) -> interactive.Verdict:
    view = TableView(known)
    return interactive.choose(
        text,
        interactive._AccountsOffered(view, lambda typed, limit: view.ordered(typed, limit=limit)),
        valid=interactive.accounts_module.is_account_id,
        noun="account",
        invalid=lambda: interactive._account_problem(text, len(known)),
        new=lambda: "new",
    )


def test_account_answers():
    known = {"production": "111111111111", "prod-eu": "333333333333", "staging": "222222222222"}
    assert _judge_account("staging", known).value == "staging"
    assert _judge_account("stag", known).value == "staging"  # the only match
    assert _judge_account("prod", known) == (None, "2 accounts match 'prod': type more or pick one with the arrow keys", False)
    assert _judge_account("3333", known).value == "prod-eu"  # by id prefix
    assert _judge_account("333333333333", known).value == "prod-eu"  # a known id
    assert _judge_account("444444444444", known) == ("444444444444", "new: press Enter again to use it", True)
    assert "12 digits" in _judge_account("12345", known).problem


@pytest.mark.parametrize(
    ("seconds", "text"), [(43200, "12h"), (3600, "1h"), (5400, "1h30m"), (900, "15m"), (30, "1m")]
)
def test_describe_duration(seconds, text):
    assert interactive.describe_duration(seconds) == text


def test_known_regions_include_the_default():
    assert "us-east-1" in interactive.known_regions()


def test_regions_match_by_code_or_name():
    assert interactive._region_matches("eu-west-1", "Ireland")
    assert interactive._region_matches("eu-west-1", "west-1")
    assert not interactive._region_matches("eu-west-1", "Ohio")
