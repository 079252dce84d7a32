"""``assume-role exec ACCOUNT ROLE [MFA_TOKEN] -- COMMAND [ARG...]``.

Runs COMMAND with the role's credentials and the variables a shell would get
in its environment, and in its environment only: the calling shell is not
touched, so this works with or without the shell function.

The helper replaces itself with COMMAND (``execvpe``) once the credentials are
in hand: COMMAND then is the process the caller started, so its exit status,
the signals sent to it (Ctrl-C, SIGTERM), its stdin, stdout and terminal are
the caller's without any forwarding. Credentials travel in the environment,
never on a command line.

With ``--server`` COMMAND gets no keys: the user's credential server
(``assume_role.serve``) serves the role to it through the container
credentials variables, renewed before it ends for as long as the MFA session
lasts, so a command that runs for hours keeps working. The server stops
serving COMMAND when it ends.
"""

from __future__ import annotations

import argparse
import os
import sys

from assume_role import variables
from assume_role.errors import AssumeRoleError, UsageError

USAGE = "assume-role exec [-v] [--refresh] [--server] [--region REGION] ACCOUNT ROLE [MFA_TOKEN] -- COMMAND [ARG...]"
# What a shell reports for a command it cannot find or cannot run.
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126


def _parser() -> argparse.ArgumentParser:
    from assume_role.arguments import Parser

    parser = Parser(
        prog="assume-role exec",
        usage=USAGE,
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("account", metavar="ACCOUNT")
    parser.add_argument("role", metavar="ROLE")
    parser.add_argument("mfa_token", nargs="?", metavar="MFA_TOKEN")
    parser.add_argument("--region", help="the region for AWS_REGION (default: as for the main command)")
    parser.add_argument("--refresh", action="store_true", help="do not reuse stored role credentials")
    parser.add_argument(
        "--server", action="store_true",
        help="serve the role to COMMAND from a local credential server that renews it, instead of exporting keys",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    return parser


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """The helper's own arguments, and COMMAND with its arguments after ``--``."""
    if "--" not in argv:
        if "-h" in argv or "--help" in argv:
            return argv, []
        raise UsageError(f"exec needs `--` before the command to run: {USAGE}")
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def main(argv: list[str]) -> int:
    own, command = split_command(argv)
    args = _parser().parse_args(own)
    if not command:
        raise UsageError(f"exec needs a command after `--`: {USAGE}")

    from assume_role import signin
    from assume_role.commands import assume

    log = assume.logger(args.verbose)
    source = signin.choose(args.mfa_token)
    if args.server:
        from assume_role.commands import server

        server.check_available()
        # New credentials: their whole life ahead, and the MFA session's end known.
        assumed = assume.obtain(args.account, args.role, args.region, source=source, log=log, refresh=True)
        uri, token, _ = server.attach(assumed, source, os.getpid())
        environment = server.served_environment(dict(os.environ), assumed, uri, token)
        log(f"serving {assumed.role} in {assumed.account.alias} from the credential server")
    else:
        assumed = assume.obtain(args.account, args.role, args.region, source=source, log=log, refresh=args.refresh)
        environment = dict(os.environ)
        for name in variables.UNSET_ON_ASSUME:
            environment.pop(name, None)
        environment.update(assume.export_values(assumed))
    log(f"running {os.path.basename(command[0])!r} as {assumed.role} in {assumed.account.alias}")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, environment)
    except FileNotFoundError:
        raise AssumeRoleError(f"command not found: {command[0]}", EXIT_NOT_FOUND) from None
    except PermissionError:
        raise AssumeRoleError(f"cannot run {command[0]}: permission denied", EXIT_CANNOT_RUN) from None
    except OSError as exc:
        raise AssumeRoleError(f"cannot run {command[0]}: {exc.strerror}", EXIT_CANNOT_RUN) from None
