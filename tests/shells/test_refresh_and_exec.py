"""In real interactive shells (tmux): auto-refresh before a command, and exec leaving the shell alone."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from helpers import Terminal, load_lines, run_strict, write_helper
from test_terminal import FINGERPRINT, rc

# A 900 s role renewed when under 890 s are left: ten seconds after assuming,
# the next command sees new credentials, and the one after does not renew again.
SESSION = 900
WINDOW = 890


def _running(command_line: str) -> bool:
    found = subprocess.run(["pgrep", "-f", "-x", command_line], capture_output=True)
    return found.returncode == 0


def setting(shell: str, name: str, value: str) -> str:
    return f"set -g {name} {value}" if shell == "fish" else f"{name}={value}"


def test_auto_refresh(shell, aws_env, mfa_code, emulator, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {
        **aws_env,
        "ASSUME_ROLE_COMMAND": str(helper),
        "AWS_ROLE_SESSION_TIMEOUT": str(SESSION),
        "ASSUME_ROLE_REFRESH_BEFORE": str(WINDOW),
    }
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        term.run(f"assume-role production read {mfa_code()}")
        assumed_at = time.monotonic()
        first = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "renewed" not in first
        time.sleep(max(0.0, SESSION - WINDOW + 1 - (time.monotonic() - assumed_at)))

        renewed = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "assume-role: renewed production:read" in renewed
        assert renewed.count("assume-role:") == 1
        key = renewed.split("key=")[1].split()[0]
        assert key.startswith("ASIA") and f"key={key}" not in first
        again = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert again.strip() == f"key={key}"
        assert emulator.control.calls(outcome="ok").get("GetSessionToken") == 1

        # Turned off: nothing happens even inside the window.
        term.run(setting(shell, "ASSUME_ROLE_AUTO_REFRESH", "0"))
        term.run(setting(shell, "ASSUME_ROLE_REFRESH_BEFORE", "100000"))
        assert term.run("echo key=$AWS_ACCESS_KEY_ID").strip() == f"key={key}"

        # The MFA session has ended too: said once, no question, the shell unchanged.
        emulator.control.expire_sessions(kind="session")
        before = term.run(FINGERPRINT)
        term.run(setting(shell, "ASSUME_ROLE_AUTO_REFRESH", "1"))
        told = term.run("echo key=$AWS_ACCESS_KEY_ID")
        assert "MFA session has ended" in told and "assume-role production read" in told
        assert told.count("assume-role:") == 1
        assert f"key={key}" in told
        assert term.run(FINGERPRINT) == before
        assert "assume-role" not in term.run("echo quiet")


# An alias that retitles the window, rings the bell and clears the screen.
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


def test_auto_refresh_shows_no_escape_sequence_from_the_alias(shell, aws_env, world, mfa_code, emulator, tmp_path):
    accounts = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    accounts.write_text(json.dumps({**world.accounts, f"prod{ESCAPES}": world.production_account_id}))
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    typed = r"prod\033]0;PWNED\007\033[2J"
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        title = term.title()
        raw = tmp_path / "terminal.raw"
        term.record(raw)
        term.run(f"assume-role production read {mfa_code()}")
        # The hostile alias names the account from here on, as after assuming it.
        value = f"(printf '{typed}')" if shell == "fish" else f"\"$(printf '{typed}')\""
        term.run(f"set -gx AWS_ACCOUNT_NAME {value}" if shell == "fish" else f"export AWS_ACCOUNT_NAME={value}")
        term.run(setting(shell, "ASSUME_ROLE_REFRESH_BEFORE", "100000"))
        renewed = term.run("echo renewal")
        assert "assume-role: renewed prod?]0;PWNED??[2J:read (" in renewed, renewed

        # The MFA session has ended: the line saying what to run quotes the alias too.
        # (A role session of its own, so the check does not take it for the one
        # renewed a moment ago, which may end in the same second.)
        emulator.control.expire_sessions(kind="session")
        later = "(math (date +%s) + 300)" if shell == "fish" else "$(( $(date +%s) + 300 ))"
        term.run(f"set -gx ASSUME_ROLE_EXPIRES_AT {later}" if shell == "fish" else f"export ASSUME_ROLE_EXPIRES_AT={later}")
        told = term.run("echo told")
        assert "assume-role: prod?]0;PWNED??[2J:read expires soon and the MFA session has ended" in told, told

        written = raw.read_bytes()
        assert b"PWNED" in written
        for sequence in (b"\x1b]0;PWNED", b"PWNED\x07", b"\x1b[2J"):
            assert sequence not in written
        assert term.title() == title


# A DEBUG trap of the user's (a command timer) that counts commands and
# records the exit status and $_ each one saw.
COUNTER = "trap 'seen=\"$? $_\" commands=$((commands + 1))' DEBUG\n"
# A prompt framework loaded after the plugin that, like starship without
# bash-preexec, runs the earlier PROMPT_COMMAND from its own hook function and
# has a DEBUG trap of its own.
FRAMEWORK = (
    "_fw_precmd() { eval \"$FW_PROMPT_COMMAND\"; }\n"
    "FW_PROMPT_COMMAND=$PROMPT_COMMAND PROMPT_COMMAND=_fw_precmd\n"
) + COUNTER


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(lambda helper: COUNTER + rc("bash", helper), id="trap-before-the-plugin"),
        pytest.param(lambda helper: rc("bash", helper, COUNTER), id="trap-after-the-plugin"),
        pytest.param(lambda helper: rc("bash", helper, FRAMEWORK), id="framework-after-the-plugin"),
    ],
)
def test_bash_keeps_the_users_debug_trap(setup, aws_env, mfa_code, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    with Terminal("bash", env, setup(helper), tmp_path) as term:
        term.run("true")
        counted = [int(term.run("echo $commands").strip()) for _ in range(3)]
        # Still fires before every command, as many times per command line.
        assert counted[0] > 0 and counted[2] - counted[1] == counted[1] - counted[0] > 0
        # It sees the exit status and $_ of the command before, as it did alone,
        # and so does the next command.
        assert term.run('false last; echo "[$seen] [$_]"').strip() == "[1 last] [last]"

        term.run(f"assume-role production read {mfa_code()}")
        term.run("ASSUME_ROLE_REFRESH_BEFORE=100000")
        # Renewed before this line's first command, once: the window is put back after.
        renewed = term.run("echo key=$AWS_ACCESS_KEY_ID; unset ASSUME_ROLE_REFRESH_BEFORE")
        assert renewed.count("assume-role: renewed production:read") == 1, renewed
        assert int(term.run("echo $commands").strip()) > counted[2]


def test_exec_leaves_the_shell_alone(shell, aws_env, mfa_code, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper)}
    with Terminal(shell, env, rc(shell, helper), tmp_path) as term:
        clean = term.run(FINGERPRINT)
        shown = term.run(f"assume-role exec production read {mfa_code()} -- sh -c 'echo $AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE'")
        assert shown.strip() == "production:read"
        assert term.run(FINGERPRINT) == clean
        # Ctrl-C reaches the command; the shell gets its prompt back.
        status = "$status" if shell == "fish" else "$?"
        term.type("assume-role exec production read -- sleep 37.25")
        term.key("Enter")
        deadline = time.monotonic() + 60
        while not _running("sleep 37.25"):  # the helper has become the command
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.1)
        term.key("C-c")
        shown = term.run(f"echo status={status}").strip()
        assert not _running("sleep 37.25")
        # The command's 130 reaches bash; zsh and fish report their own status
        # for a function that Ctrl-C interrupted (2 and 1), never success.
        assert shown.endswith({"bash": "status=130", "zsh": "status=2", "fish": "status=1"}[shell]), shown
        # An exit status passes through the function unchanged.
        assert term.run(f"assume-role exec production read -- sh -c 'exit 42'; echo status={status}").strip() == (
            "status=42"
        )
        assert term.run(FINGERPRINT) == clean


# -- the check itself, called as each shell's hook calls it -----------------------

# Stands in for the helper's __refresh: logs the call, prints code that renews
# the role for an hour, or fails as told.
FAKE_REFRESH = r"""#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_LOG"
[ "${FAKE_EXIT:-0}" = 0 ] || { echo "assume-role: cannot renew" >&2; exit "$FAKE_EXIT"; }
later=$(( $(date +%s) + 3600 ))
case "$3" in
  fish) echo "set -gx AWS_ACCESS_KEY_ID NEW; set -gx ASSUME_ROLE_ACCESS_KEY_ID NEW; set -gx ASSUME_ROLE_EXPIRES_AT $later" ;;
  *) echo "export AWS_ACCESS_KEY_ID=NEW ASSUME_ROLE_ACCESS_KEY_ID=NEW ASSUME_ROLE_EXPIRES_AT=$later" ;;
esac
"""

HOOK = {
    "bash": '_assume_role_refresh_armed=1; _assume_role_refresh_trap "$_"\n',
    "zsh": "_assume_role_refresh\n",
    "fish": "__assume_role_refresh\n",
}


def refresh_script(shell: str, hooks: int) -> str:
    return load_lines(shell) + HOOK[shell] * hooks + 'echo "key=$AWS_ACCESS_KEY_ID"\n'


@pytest.fixture
def refresh_env(tmp_path):
    fake = tmp_path / "fake-assume-role"
    fake.write_text(FAKE_REFRESH)
    fake.chmod(0o755)
    return {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "ASSUME_ROLE_COMMAND": str(fake),
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "AWS_ACCOUNT_NAME": "production",
        "AWS_ACCOUNT_ROLE": "read",
        "AWS_ACCESS_KEY_ID": "OLD",
        "ASSUME_ROLE_ACCESS_KEY_ID": "OLD",
    }


def calls(env) -> list[str]:
    log = Path(env["FAKE_LOG"])
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    "left, settings, renewed",
    [
        (3600, {}, False),  # time remains: nothing runs
        (300, {}, True),  # under the default 600 s
        (300, {"ASSUME_ROLE_REFRESH_BEFORE": "200"}, False),
        (300, {"ASSUME_ROLE_AUTO_REFRESH": "0"}, False),
        (-60, {}, True),  # already expired: renewed all the same
        (300, {"ASSUME_ROLE_REFRESH_BEFORE": "$(touch pwned)"}, True),  # nonsense: the default
        (300, {"ASSUME_ROLE_ACCESS_KEY_ID": "ASIAOTHER"}, False),  # another tool's keys: left alone
    ],
)
def test_refresh_check(shell, refresh_env, tmp_path, left, settings, renewed):
    env = {**refresh_env, **settings, "ASSUME_ROLE_EXPIRES_AT": str(int(time.time()) + left)}
    result = run_strict(shell, f"cd '{tmp_path}'\n" + refresh_script(shell, 3), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("key=NEW\n" if renewed else "key=OLD\n")
    assert calls(env) == ([f"__refresh --shell {shell}"] if renewed else [])
    assert not (tmp_path / "pwned").exists()


def test_a_failed_refresh_is_tried_once_and_changes_nothing(shell, refresh_env):
    env = {**refresh_env, "FAKE_EXIT": "4", "ASSUME_ROLE_EXPIRES_AT": str(int(time.time()) + 100)}
    result = run_strict(shell, refresh_script(shell, 3), env=env)
    assert result.stdout == "key=OLD\n"
    assert result.stderr == "assume-role: cannot renew\n"
    assert calls(env) == [f"__refresh --shell {shell}"]


APPLY = {
    "bash": 'eval "$ASSUMED"\nexport ASSUME_ROLE_EXPIRES_AT=$(( $(date +%s) + LEFT ))\n',
    "zsh": 'eval "$ASSUMED"\nexport ASSUME_ROLE_EXPIRES_AT=$(( $(date +%s) + LEFT ))\n',
    "fish": 'printf "%s" "$ASSUMED" | source\nset -gx ASSUME_ROLE_EXPIRES_AT (math (date +%s) + $LEFT)\n',
}


@pytest.mark.parametrize("left, said", [(-120, "read expired at "), (300, "read expires soon ")])
def test_the_notice_says_whether_the_role_has_expired(shell, left, said, aws_env, mfa_code, emulator, tmp_path):
    helper = write_helper(tmp_path / "bin")
    env = {**aws_env, "ASSUME_ROLE_COMMAND": str(helper), "LEFT": str(left)}
    assumed = subprocess.run([helper, "--shell", shell, "production", "read", mfa_code()], env=env,
                             capture_output=True, text=True, timeout=60)
    assert assumed.returncode == 0, assumed.stderr
    emulator.control.expire_sessions(kind="session")
    script = load_lines(shell) + APPLY[shell] + HOOK[shell] + 'echo "key=$AWS_ACCESS_KEY_ID"\n'
    result = run_strict(shell, script, env={**env, "ASSUMED": assumed.stdout})
    assert result.returncode == 0, result.stderr
    # One line, saying what to run; the shell keeps what it had.
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("assume-role: production:read "), result.stderr
    assert said in result.stderr and "the MFA session has ended: run `assume-role production read`" in result.stderr
    assert result.stdout.startswith("key=ASIA")


@pytest.mark.parametrize("password_in_file", [True, False], ids=["password in the file", "no password"])
def test_auto_refresh_with_saml(shell, password_in_file, aws_env, world, tmp_path):
    from saml_idp import PASSWORD, TEMPLATE, USER, IdentityProvider

    idp = IdentityProvider(world)
    try:
        saml_file = tmp_path / "saml-credentials"
        saml_file.write_text(f"username = {USER}\npassword = {PASSWORD}\n")
        saml_file.chmod(0o600)
        helper = write_helper(tmp_path / "bin")
        env = {
            **aws_env, "ASSUME_ROLE_COMMAND": str(helper), "LEFT": "300", "SAML_FILE": str(saml_file),
            "AWS_ASSUME_ROLE_AUTH_SCHEME": "saml", "SAML_IDP_ASSERTION_URL": idp.url,
            "SAML_IDP_REQUEST_BODY_TEMPLATE": TEMPLATE, "SAML_IDP_NAME": world.saml_provider_name,
        }
        assumed = subprocess.run([helper, "--shell", shell, "production", "read"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert assumed.returncode == 0, assumed.stderr
        if not password_in_file:
            saml_file.write_text(f"username = {USER}\n")
        script = load_lines(shell) + APPLY[shell] + HOOK[shell] + 'echo "key=$AWS_ACCESS_KEY_ID"\n'
        result = run_strict(shell, script, env={**env, "ASSUMED": assumed.stdout})
        assert result.returncode == 0, result.stderr
        first_key = re.search(r"AWS_ACCESS_KEY_ID[= ]'?(ASIA\w+)", assumed.stdout)[1]
        held = result.stdout == f"key={first_key}\n"
        # One line either way, and no question.
        assert result.stderr.count("\n") == 1, result.stderr
        if password_in_file:
            assert result.stderr.startswith("assume-role: renewed production:read (")
            assert not held and len(idp.posts) == 2
        else:
            assert result.stderr.startswith(
                "assume-role: production:read expires soon and the SAML sign-in needs your password: "
                "run `assume-role production read` to renew it, or put it in "
            )
            assert held and len(idp.posts) == 1
    finally:
        idp.close()
