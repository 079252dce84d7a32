"""Where the MFA code comes from when the flow needs a new one.

In order:

1. the MFA_TOKEN argument;
2. a command that prints the code: ``$ASSUME_ROLE_MFA_PROCESS``, else the
   bastion profile's ``mfa_process`` setting in the AWS config file, e.g.::

       [default]
       mfa_process = ykman oath accounts code --single aws

3. a hidden question on the terminal (see ``assume_role.interactive``);
4. otherwise a usage error that says how to supply the code.

The command is split with shell-style quoting (``shlex``) and run directly,
not through a shell, in the same way as the AWS config file's
``credential_process``: quoting works, pipes and variables do not (wrap the
command in ``sh -c '...'`` for those). It inherits the terminal on stdin and
stderr, so a prompt such as "Touch your YubiKey" or a password manager's
unlock question reaches the user, while its stdout is captured and must be
the 6-digit code, optionally surrounded by whitespace. Its output is never
logged nor repeated in an error message, and the code is never put in any
command line. A command that fails, is not found, runs longer than
``$ASSUME_ROLE_MFA_PROCESS_TIMEOUT`` seconds (default 60) or prints anything
else is an ``MfaError``.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import NamedTuple

from assume_role import settings, validate
from assume_role.errors import MfaError, UsageError
from assume_role.signin.source import Asking

ENVIRONMENT = "ASSUME_ROLE_MFA_PROCESS"
TIMEOUT_ENVIRONMENT = "ASSUME_ROLE_MFA_PROCESS_TIMEOUT"
PROFILE_SETTING = "mfa_process"

Log = Callable[[str], None]


class Command(NamedTuple):
    argv: tuple[str, ...]
    origin: str  # where it was configured, for messages

    @property
    def name(self) -> str:
        # Only the program's name ever appears in messages: the rest of the
        # command line may hold a session token or account name.
        return os.path.basename(self.argv[0])


def configured(profile_config: dict, profile: str) -> Command | None:
    """The MFA command from the environment or the bastion profile, if any."""
    value = os.environ.get(ENVIRONMENT)
    origin = ENVIRONMENT
    if not value:
        value = profile_config.get(PROFILE_SETTING)
        origin = f"{PROFILE_SETTING} of profile {profile!r}"
    if not value:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{origin} must be a command line")
    try:
        argv = shlex.split(value)
    except ValueError as exc:
        raise UsageError(f"cannot parse the command in {origin}: {exc}") from None
    if not argv:
        raise UsageError(f"{origin} is set but holds no command")
    return Command(tuple(argv), origin)


def run(command: Command, seconds: float | None = None) -> str:
    """Run the command and return the 6-digit code it printed."""
    import subprocess  # only when a command is configured: a given code needs none

    seconds = settings.mfa_process_timeout() if seconds is None else seconds
    what = f"the MFA command {command.name!r} (from {command.origin})"
    try:
        finished = subprocess.run(
            command.argv,
            # The terminal when there is one, so the command can ask for a
            # touch or a password; never a pipe someone else is writing to.
            stdin=None if _stdin_is_terminal() else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None,
            timeout=seconds,
            check=False,
        )
    except FileNotFoundError:
        raise MfaError(f"{what} was not found; check the command and PATH") from None
    except PermissionError:
        raise MfaError(f"{what} cannot be run: permission denied") from None
    except OSError as exc:
        raise MfaError(f"{what} cannot be run: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise MfaError(
            f"{what} did not finish within {seconds:g} seconds; set {TIMEOUT_ENVIRONMENT} to wait longer"
        ) from None
    if finished.returncode < 0:
        raise MfaError(f"{what} was killed by signal {-finished.returncode}")
    if finished.returncode != 0:
        raise MfaError(f"{what} failed with exit status {finished.returncode}; run it by hand to see why")
    try:
        code = finished.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        code = ""
    try:
        return validate.mfa_code(code)
    except MfaError:
        raise MfaError(f"{what} must print only the 6-digit code, but printed something else") from None


class CodeSource:
    """Where one run's new MFA code comes from: asked only when the flow needs one.

    ``asks_person()`` tells the flow whether a person would be asked (no
    code given, no MFA command): it asks a person with no lock held, a
    program under the lock. ``used`` says whether a code was taken.
    """

    def __init__(self, given: str | None, profile_config: dict, profile: str, log: Log, asking: Asking):
        self.given = given
        self.profile_config = profile_config
        self.profile = profile
        self.log = log
        self.asking = asking
        self.used = False

    def asks_person(self) -> bool:
        return not self.given and configured(self.profile_config, self.profile) is None

    def code(self, serial: str, seconds: int) -> str:
        """A validated 6-digit code for ``serial``, for a session of ``seconds``."""
        self.used = True
        if self.given:
            return self.given
        if not self.asking.terminal:
            # No new MFA authentication at all (the shells' auto-refresh): an
            # MFA command may want a touch or a password too.
            raise MfaError(
                self.asking.renewal("the MFA session has ended") or "a new MFA code is needed: run assume-role in a terminal"
            )
        command = configured(self.profile_config, self.profile)
        if command is not None:
            self.log(f"running {command.name!r} from {command.origin} for the code of {serial}")
            return run(command)
        if self.asking.person_present():
            from assume_role import interactive

            return interactive.ask_mfa_code(serial, seconds)
        rerun = self.asking.rerun
        advice = self.asking.advice or (
            f"run `{rerun}` in a terminal to start an MFA session (it lasts 12 hours), "
            f"or set {PROFILE_SETTING} in the bastion profile"
            if rerun else
            f"pass it as MFA_TOKEN, or set {ENVIRONMENT} or {PROFILE_SETTING} in the profile to a command that prints it"
        )
        raise UsageError(f"an MFA code for {serial} is needed and there is no terminal to ask on: {advice}")


def _stdin_is_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False
