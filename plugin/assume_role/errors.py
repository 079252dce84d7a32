"""Expected failures and their exit codes.

Every expected failure is an ``AssumeRoleError``: the CLI prints its message as
one line on stderr, prints nothing on stdout, and exits with its code, so an
``eval "$(assume-role ...)"`` changes nothing in the calling shell.
"""

from __future__ import annotations

# Exit codes are part of the user contract (documented in the README).
EXIT_FAILURE = 1  # unexpected or uncategorised failure
EXIT_USAGE = 2  # bad arguments or configuration: fix the input
EXIT_CREDENTIALS = 3  # bastion credentials missing, invalid or expired
EXIT_MFA = 4  # MFA code refused or MFA device unknown
EXIT_DENIED = 5  # AWS refused the role (trust policy, chaining, duration)
EXIT_NETWORK = 6  # endpoint unreachable, timed out or throttled
EXIT_NOT_ASSUMED = 7  # status: nothing valid is assumed in this shell
EXIT_INTERRUPTED = 130  # Ctrl-C / Esc


class AssumeRoleError(Exception):
    """A failure the user can act on; ``str()`` is the one-line message."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, exit_code: int | None = None):
        # One line only: a multi-line message would break the one-line contract.
        super().__init__(" ".join(message.split("\n")))
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(AssumeRoleError):
    exit_code = EXIT_USAGE


class CredentialsError(AssumeRoleError):
    exit_code = EXIT_CREDENTIALS


class MfaError(AssumeRoleError):
    exit_code = EXIT_MFA


class DeniedError(AssumeRoleError):
    exit_code = EXIT_DENIED


class NetworkError(AssumeRoleError):
    exit_code = EXIT_NETWORK


class Unforeseen(AssumeRoleError):
    """A library failed in a way no rule here foresees: a bug of ours (exit 1).

    The CLI adds how to see the steps that led there, unless -v shows them already.
    """


class Interrupted(AssumeRoleError):
    exit_code = EXIT_INTERRUPTED
