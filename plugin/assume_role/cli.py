"""Command line entry point.

Run as a plain command, ``assume-role`` prints shell code on stdout, to be
used as ``eval "$(assume-role ...)"`` (fish: ``assume-role ... | source``).
Everything meant for people goes to stderr, and on any failure stdout stays
empty so that the eval changes nothing.

Only the network path imports botocore; ``--help``, ``init``, completion,
``clear`` and the prompt helpers stay cheap.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from assume_role import __version__, errors

# Subcommands that run normally (their output is not shell code to evaluate).
# Each module exposes main(argv) -> int and is imported only when used.
PASS_THROUGH = {
    "init": "assume_role.commands.init",
    "__complete": "assume_role.commands.complete",
    "status": "assume_role.commands.status",
    "logout": "assume_role.commands.logout",
    "demo": "assume_role.commands.demo",
    "exec": "assume_role.commands.exec_",
    "credential-process": "assume_role.commands.credential_process",
    "console": "assume_role.commands.console",
    "__refresh": "assume_role.commands.refresh",
}
# Subcommands whose output is evaluated like the main command's.
EVALUATED = {"clear"}

DESCRIPTION = """\
Assume an AWS IAM role in ACCOUNT through your bastion account with MFA and
print shell code that exports its temporary credentials. Use it through the
shell plugin (see `assume-role init --help`), or directly:

  eval "$(assume-role production read)"       # bash, zsh
  assume-role production read | source        # fish

ACCOUNT is an alias from ~/.aws/accounts or a 12-digit account id. ROLE is the
IAM role name in that account. MFA_TOKEN is the current 6-digit code of your
MFA device; it is needed only when no MFA session can be reused, and then
comes from the argument, the MFA command (ASSUME_ROLE_MFA_PROCESS or the
profile's mfa_process), or a hidden prompt on the terminal. Missing ACCOUNT
and ROLE are picked from lists on the terminal; REGION is asked only when
neither the account entry, AWS_REGION, AWS_DEFAULT_REGION nor the profile
names one. Without a terminal, a missing value is an error.
"""

EPILOG = """\
subcommands:
  clear               unset every variable assume-role exported (also --unset)
  init SHELL          print the line to add to your shell's rc file
  status              show what is assumed and how long it lasts
  logout              forget stored MFA and role sessions
  exec ACCOUNT ROLE [MFA_TOKEN] -- COMMAND [ARG...]
                      run COMMAND with the role's credentials, this shell untouched
  credential-process ACCOUNT ROLE
                      print credential_process JSON for ~/.aws/config profiles
                      (--profiles [--write]: profiles for the accounts file)
  console [ACCOUNT ROLE] [--service NAME] [--print]
                      open the AWS console as the role (--print: print the URL)

sessions longer than one hour:
  AWS counts AssumeRole from MFA session credentials as role chaining and caps
  it at 1 hour. With AWS_ROLE_SESSION_TIMEOUT above 3600, assume-role calls
  AssumeRole directly with the bastion's long-term keys and your MFA code, so a
  session of up to 12 hours (the role's MaxSessionDuration) really works; such
  runs always need an MFA code.

environment:
  AWS_PROFILE_ASSUME_ROLE    bastion profile (default: default)
  AWS_ROLE_SESSION_TIMEOUT   role session seconds, 900-43200 (default: 3600)
  ASSUME_ROLE_ACCOUNTS_FILE  accounts file (default: ~/.aws/accounts)
  ASSUME_ROLE_MFA_SERIAL     MFA device ARN, if not in the profile's mfa_serial
  ASSUME_ROLE_EXTERNAL_ID    ExternalId: account (default), none, or a value
  ASSUME_ROLE_CACHE          where sessions are kept: file (default), keyring,
                             env or none
  ASSUME_ROLE_MFA_PROCESS    command that prints the MFA code (also the
                             profile's mfa_process); its output is never shown
  ASSUME_ROLE_MFA_PROCESS_TIMEOUT  seconds to wait for it (default: 60)
  ASSUME_ROLE_HTTP_TIMEOUT   seconds per AWS request (default: 10)
  AWS_MAX_ATTEMPTS           attempts per AWS request (default: 3)
  ASSUME_ROLE_REFRESH_BEFORE seconds left at which the shell plugins renew the
                             role before the next command (default: 600)
  ASSUME_ROLE_AUTO_REFRESH   0: the shell plugins never renew the role
  ASSUME_ROLE_FEDERATION_ENDPOINT  console sign-in endpoint (https or loopback)

exit codes:
  0 success   1 unexpected error   2 bad arguments or configuration
  3 bastion credentials missing, invalid or expired   4 MFA code or device
  5 AWS denied the role   6 network, timeout or throttling   130 interrupted
  7 (status only) no valid role is assumed in this shell
"""


class _Parser(argparse.ArgumentParser):
    """argparse that fails with one line and can keep stdout for shell code."""

    def __init__(self, *args, help_stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_stream = help_stream

    def _print_message(self, message, file=None):
        if message:
            (self.help_stream or file or sys.stderr).write(message)

    def error(self, message):
        raise errors.UsageError(f"{message} (see assume-role --help)")


def build_parser(help_stream=None) -> _Parser:
    parser = _Parser(
        prog="assume-role",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help_stream=help_stream,
    )
    parser.add_argument("account", nargs="?", metavar="ACCOUNT")
    parser.add_argument("role", nargs="?", metavar="ROLE")
    parser.add_argument("mfa_token", nargs="?", metavar="MFA_TOKEN")
    parser.add_argument("region", nargs="?", metavar="REGION")
    parser.add_argument(
        "--shell",
        choices=["bash", "zsh", "fish", "sh"],
        help="syntax of the printed code (default: the calling shell); stdout then carries only code",
    )
    parser.add_argument("--unset", action="store_true", help="print code that unsets every exported variable")
    parser.add_argument("--refresh", action="store_true", help="do not reuse stored role credentials")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    parser.add_argument("-V", "--version", action="version", version=f"assume-role {__version__}")
    return parser


def _first_positional(argv: list[str]) -> int | None:
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--shell":
            skip = True
        elif arg == "--":
            return index + 1 if index + 1 < len(argv) else None
        elif not arg.startswith("-") or arg == "-":
            return index
    return None


def run(argv: list[str]) -> int:
    first = _first_positional(argv)
    if first is not None and argv[first] == "help":
        build_parser(help_stream=sys.stdout).print_help()
        return 0
    if first is not None and argv[first] in PASS_THROUGH:
        module = importlib.import_module(PASS_THROUGH[argv[first]])
        return module.main(argv[first + 1 :])
    if first is not None and argv[first] in EVALUATED:
        argv = argv[:first] + ["--unset"] + argv[first + 1 :]
    shell_given = any(a == "--shell" or a.startswith("--shell=") for a in argv)
    # With --shell, stdout is reserved for code: help and version go to stderr.
    args = build_parser(help_stream=sys.stderr if shell_given else sys.stdout).parse_args(argv)

    from assume_role.commands import assume

    return assume.main(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv or "--verbose" in argv
    try:
        return run(argv)
    except errors.AssumeRoleError as exc:
        print(f"assume-role: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("assume-role: interrupted; nothing was changed", file=sys.stderr)
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        return errors.EXIT_FAILURE
    except Exception as exc:  # a bug: still one line unless asked for detail
        if verbose:
            import traceback

            traceback.print_exc()
        print(f"assume-role: unexpected error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return errors.EXIT_FAILURE
