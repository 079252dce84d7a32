"""The demo without a terminal: a scripted walkthrough, each step and its result.

The commands run in one real, long-lived shell with the plugin loaded, fed
through a pipe, so exported variables carry from one step to the next exactly
as they would at a prompt. Every step checks its result; the first one that
does not hold stops the walkthrough and the demo exits non-zero.
"""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import shells
from .lab import Lab

COMMAND_TIMEOUT = 60.0
# Terminal control sequences and readline's \001/\002 markers, kept out of the transcript.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|[\x01\x02]")


class StepFailed(Exception):
    pass


@dataclass
class Result:
    status: int
    output: str


class ScriptedShell:
    """A shell reading commands from a pipe; ``run`` returns each command's status and output."""

    def __init__(self, shell: str, env: dict[str, str], cwd: str):
        self.shell = shell
        self.marker = f"__assume_role_demo_{secrets.token_hex(6)}"
        self.process = subprocess.Popen(
            shells.scripted(shell),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )
        self._buffer = b""

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(shells.wrap(self.shell, command, self.marker).encode())
        self.process.stdin.flush()
        done = re.compile(re.escape(self.marker).encode() + rb":(\d+)\n")
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not (match := done.search(self._buffer)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StepFailed(f"no answer from {self.shell} within {timeout:g} s")
                if selector.select(remaining):
                    chunk = os.read(self.process.stdout.fileno(), 65536)
                    if not chunk:
                        raise StepFailed(f"{self.shell} exited unexpectedly")
                    self._buffer += chunk
        output = self._buffer[: match.start()].decode("utf-8", "replace")
        self._buffer = self._buffer[match.end() :]
        return Result(int(match.group(1)), _CONTROL.sub("", output))

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


@dataclass
class Transcript:
    """Prints steps as they happen: a title, commands with their output, a verdict."""

    write: Callable[[str], None]
    steps: int = 0
    indent: str = "   "

    def step(self, title: str) -> None:
        self.steps += 1
        number = f"{self.steps}. "
        self.indent = " " * len(number)
        self.write(f"\n{number}{title}\n")

    def note(self, text: str) -> None:
        for line in text.rstrip("\n").splitlines() or [""]:
            self.write(f"{self.indent}{line}\n")

    def command(self, command: str, result: Result) -> None:
        self.note(f"$ {command}")
        if result.output.strip():
            self.note(result.output)
        if result.status:
            self.note(f"(exit status {result.status})")


class Walkthrough:
    def __init__(self, lab: Lab, shell: str, write: Callable[[str], None]):
        self.lab = lab
        self.shell_name = shell
        self.out = Transcript(write)
        self.shell: ScriptedShell | None = None

    # -- helpers ---------------------------------------------------------------

    def sh(self, command: str, expect_status: int | None = 0, shown: bool = True) -> str:
        assert self.shell is not None
        result = self.shell.run(command)
        if shown:
            self.out.command(command, result)
        if expect_status is not None and result.status != expect_status:
            raise StepFailed(f"`{command}` exited with {result.status}, expected {expect_status}")
        return result.output

    @staticmethod
    def expect(output: str, pattern: str, what: str) -> re.Match:
        match = re.search(pattern, output, re.M)
        if not match:
            raise StepFailed(f"expected {what}, got: {output.strip()!r}")
        return match

    def ok(self, text: str = "ok") -> None:
        self.out.note(f"=> {text}")

    def get_session_token_calls(self) -> int:
        return int(self.lab.emulator.control.calls(outcome="ok").get("GetSessionToken", 0))

    # -- the steps -------------------------------------------------------------

    def run(self) -> None:
        lab, world, shell = self.lab, self.lab.world, self.shell_name
        out = self.out

        out.step("Start a local AWS emulator (moto, behind a layer enforcing the MFA and session rules)")
        out.note(f"{lab.emulator.endpoint}  (process {lab.emulator.process.pid})")
        self.ok()

        out.step("Seed a bastion account and two target accounts")
        out.note(f"bastion account {world.bastion_account_id}: IAM user {world.user_name} with access keys")
        out.note(f"MFA device {world.mfa_serial}")
        for alias, account_id in world.accounts.items():
            out.note(f"account {alias} {account_id}: roles {', '.join(world.roles)} (trust the bastion, with MFA)")
        self.ok()

        out.step("Write a sandbox: AWS config, credentials and accounts file")
        env = lab.sandbox_env
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "ASSUME_ROLE_ACCOUNTS_FILE"):
            out.note(f"{name}={env[name]}")
        out.note(f"HOME={env['HOME']}  (your own ~/.aws is neither read nor written)")
        self.ok()

        out.step(f"Start {shell} with the plugin loaded, as `assume-role init {shell}` prints it")
        self.shell = ScriptedShell(shell, lab.shell_env(), cwd=str(lab.home))
        # Its status is not checked: fish's conf.d file ends with status 1
        # when the shell is not interactive, having nothing to do then.
        self.sh(shells.init_code(shell, lab), expect_status=None, shown=False)
        self.expect(self.sh(shells.IS_FUNCTION[shell]), r"function", "assume-role to be a shell function")
        self.ok()

        code = lab.mfa_code()
        out.step(f"Assume the role read in production, with the MFA code {code}")
        self.sh(f"assume-role production read {code}")
        shown = self.sh(shells.SHOW_ROLE[shell])
        self.expect(shown, rf"^production:read in {world.production_account_id}, ", "production:read")
        self.ok("assumed: GetSessionToken with the MFA code, then AssumeRole")

        out.step("The prompt segment the plugin draws")
        segment = self.sh(shells.SEGMENT[shell])
        self.expect(segment, r"production:read (\d+m|\dh\d\dm)", "the segment with the time left")
        self.ok("account:role and the minutes left; yellow under 10 minutes, red once expired")

        out.step("Ask AWS who these credentials belong to")
        status = self.sh("assume-role status --check")
        arn = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
        self.expect(status, rf"aws says: +{re.escape(arn)}", arn)
        self.ok()

        out.step("Switch to staging:admin without an MFA code")
        self.sh("assume-role staging admin")
        shown = self.sh(shells.SHOW_ROLE[shell])
        self.expect(shown, rf"^staging:admin in {world.staging_account_id}, ", "staging:admin")
        calls = self.get_session_token_calls()
        if calls != 1:
            raise StepFailed(f"expected one GetSessionToken call in all, the emulator counted {calls}")
        self.ok("the MFA session from step 5 was reused: still one GetSessionToken call in all")

        out.step("Run one command as production:read with exec; this shell keeps staging:admin")
        checked = self.sh("assume-role exec production read -- assume-role status --check")
        self.expect(checked, rf"aws says: +{re.escape(arn)}", arn)
        self.expect(self.sh(shells.SHOW_ROLE[shell]), r"^staging:admin in ", "staging:admin still")
        self.ok("the command ran as production:read; the shell's variables did not change")

        out.step("A console sign-in URL for the role this shell holds, without an MFA code")
        url = self.sh("assume-role console --print")
        self.expect(url, r"^http://127\.0\.0\.1:\d+/federation\?Action=login&.*SigninToken=", "a sign-in URL")
        calls = self.get_session_token_calls()
        if calls != 1:
            raise StepFailed(f"expected one GetSessionToken call in all, the emulator counted {calls}")
        self.ok("a sign-in token from the federation endpoint, for a role session assumed without DurationSeconds")

        out.step("What Tab offers: after `assume-role st`, then after `assume-role staging `")
        self.expect(self.sh("assume-role __complete --shell bash -- st"), r"^staging$", "staging")
        roles = self.sh("assume-role __complete --shell bash -- staging ''")
        for role in world.roles:
            self.expect(roles, rf"^{role}$", role)
        self.ok("aliases from the accounts file, then the roles listed there or assumed before")

        out.step("Move the bastion's keys out of the credentials file into a keyring")
        self.sh("assume-role keys add --from-credentials-file")
        out.note("(the demo's keyring is a file in the sandbox; yours is GNOME Keyring, KWallet or the Keychain)")
        lines = self.sh(f"grep -c aws_secret_access_key '{env['AWS_SHARED_CREDENTIALS_FILE']}'", expect_status=1)
        self.expect(lines, r"^0$", "no secret left in the credentials file")
        self.expect(self.sh("assume-role keys list"), rf"^default +{world.access_key_id} ", "the key id in the keyring")
        self.expect(self.sh("assume-role status", expect_status=None), r"^bastion keys: in the keyring", "the keyring")
        self.ok("the keys are in the keyring only; assume-role reads them from there")

        out.step("Rotate them: a new key stored, the old one deleted at AWS, under the MFA session")
        rotated = self.sh("assume-role keys rotate")
        new_key = self.expect(rotated, r"rotated the keys of profile default: (AKIA[A-Z0-9]+) is stored", "a new key")
        self.sh("assume-role --refresh staging admin")
        self.expect(self.sh(shells.SHOW_ROLE[shell]), r"^staging:admin in ", "staging:admin")
        calls = self.get_session_token_calls()
        if calls != 1:
            raise StepFailed(f"expected one GetSessionToken call in all, the emulator counted {calls}")
        self.ok(f"{new_key.group(1)} replaced {world.access_key_id}; the MFA session went on: still one GetSessionToken call")

        wrong = lab.wrong_code()
        out.step(f"A wrong MFA code ({wrong}) is refused and leaves the shell as it was")
        key_before = self.sh(shells.SHOW_KEY[shell], shown=False).strip()
        self.sh("assume-role logout")
        refused = self.sh(f"assume-role production admin {wrong}", expect_status=4)
        self.expect(refused, r"MFA", "an MFA error")
        self.expect(self.sh(shells.SHOW_ROLE[shell]), r"^staging:admin in ", "staging:admin still")
        if self.sh(shells.SHOW_KEY[shell], shown=False).strip() != key_before:
            raise StepFailed("the failed run changed AWS_ACCESS_KEY_ID")
        self.ok("exit status 4, nothing exported, staging:admin kept")

        out.step("Clear the role from the shell")
        self.sh("assume-role clear")
        self.expect(self.sh("assume-role status", expect_status=7), r"no role assumed", "no role assumed")
        self.ok()

        sso = lab.sso
        code = lab.aws_sso_login()
        out.step("IAM Identity Center: the AWS CLI has signed in (aws sso login), assume-role uses that sign-in")
        out.note(f"the device flow's code {code} was approved in the browser; the token is in ~/.aws/sso/cache")
        out.note(f"profile corp: sso_session corp, start URL {sso.start_url}")
        lab.emulator.control.reset()
        self.sh(shells.USE_SSO_PROFILE[shell])
        self.sh("assume-role production AdministratorAccess")
        self.expect(self.sh(shells.SHOW_ROLE[shell]), rf"^production:AdministratorAccess in {world.production_account_id}, ",
                    "production:AdministratorAccess")
        status = self.sh("assume-role status --check")
        self.expect(status, r"^sign-in: +IAM Identity Center \(corp\), \d+h\d\dm left", "the sign-in's time left")
        self.expect(status, r"aws says: +arn:aws:sts::\d{12}:assumed-role/AWSReservedSSO_AdministratorAccess_",
                    "a permission set's session")
        calls = lab.emulator.control.calls(outcome="ok")
        if calls.get("GetRoleCredentials") != 1 or calls.get("StartDeviceAuthorization"):
            raise StepFailed(f"expected one GetRoleCredentials and no new sign-in, the emulator counted {calls}")
        self.ok("one GetRoleCredentials with the AWS CLI's sign-in: no code, no new sign-in")

    def close(self) -> None:
        if self.shell is not None:
            self.shell.close()


def run(lab: Lab, shell: str, write: Callable[[str], None]) -> bool:
    """Runs every step; True when all of them held."""
    walk = Walkthrough(lab, shell, write)
    try:
        walk.run()
    except StepFailed as failure:
        walk.out.note(f"FAILED: {failure}")
        return False
    finally:
        walk.close()
    return True
