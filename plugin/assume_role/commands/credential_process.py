"""``assume-role credential-process ACCOUNT ROLE``: the role for every AWS SDK and tool.

A profile in the AWS config file such as::

    [profile production-read]
    credential_process = assume-role credential-process production read

makes the AWS CLI, the SDKs, terraform and IDE plugins run this command
whenever they need credentials for the profile, and again shortly before the
ones they hold expire. It prints the ``credential_process`` JSON (``Version``
1, the keys, the token and ``Expiration``) on stdout and nothing else there.

The tool that starts it usually gives it no terminal on stdin. A new MFA code
then comes from MFA_TOKEN, the MFA command (``mfa_process``), or a question
on the controlling terminal (``/dev/tty``) when there is one; otherwise the
command fails with one line on stderr that says what to run. Concurrent runs
share one MFA session through the store's lock: a dozen tools started at once
ask for one code and make one GetSessionToken call. Stored role credentials
answer without botocore or the network.

``--profiles`` prints such profiles for every account and role of the accounts
file, each with the region the main command would use, to paste;
``--profiles --write`` merges them into the AWS config file (see
``assume_role.accounts.aws_profiles`` and ``assume_role.state.guarded_replace``).
"""

from __future__ import annotations

import os
import sys

from assume_role.errors import UsageError

# SDKs refresh credential_process credentials 15 minutes before they expire
# (botocore: advisory 15, mandatory 10 minutes). Anything shorter-lived than
# this would be asked for again at once, or refused as already expired.
MIN_SECONDS_LEFT = 15 * 60 + 60


def _parser():
    from assume_role.arguments import Parser

    parser = Parser(
        prog="assume-role credential-process",
        usage="assume-role credential-process [-v] [--region REGION] ACCOUNT ROLE [MFA_TOKEN]\n"
        "       assume-role credential-process --profiles [--write] [--command COMMAND]",
        description="Print AWS credential_process JSON for ROLE in ACCOUNT, or write profiles that use it.",
    )
    parser.add_argument("account", nargs="?", metavar="ACCOUNT", help="an alias or account id from the accounts file")
    parser.add_argument("role", nargs="?", metavar="ROLE", help="the role to assume in that account")
    parser.add_argument(
        "mfa_token", nargs="?", metavar="MFA_TOKEN", help="a one-time code, if no MFA session is stored (else asked)"
    )
    parser.add_argument("--region", help="region of the request (default: as for the main command)")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    parser.add_argument(
        "--profiles", action="store_true", help="print a profile for each account and role in the accounts file"
    )
    parser.add_argument(
        "--write", action="store_true", help="with --profiles: merge them into the AWS config file (a backup is kept)"
    )
    parser.add_argument(
        "--command", metavar="COMMAND", help="with --profiles: how tools should run assume-role (default: its full path)"
    )
    return parser


def main(argv: list[str]) -> int:
    if 2 <= len(argv) <= 3 and not any(word.startswith("-") for word in argv):
        # ACCOUNT ROLE [MFA_TOKEN], as the AWS config file runs it on every
        # refresh: read without argparse, which costs more than a cache hit.
        return _print_credentials(*argv)
    args = _parser().parse_args(argv)
    if args.profiles:
        return _profiles(args)
    if args.write or args.command:
        raise UsageError("--write and --command go with --profiles")
    if not (args.account and args.role):
        raise UsageError("credential-process needs ACCOUNT and ROLE (or --profiles)")
    return _print_credentials(args.account, args.role, args.mfa_token, region=args.region, verbose=args.verbose)


def _print_credentials(account: str, role: str, mfa_token: str | None = None, *, region: str | None = None,
                       verbose: bool = False) -> int:
    from assume_role import signin
    from assume_role.commands import assume
    from assume_role.shell.emitters import shell_word

    log = assume.logger(verbose)
    rerun = f"assume-role {shell_word(account)} {shell_word(role)}"
    # The SDK that runs us holds stdin and stdout: ask on the controlling terminal.
    source = signin.choose(mfa_token, signin.Asking(require_stdin=False, rerun=rerun))
    assumed = assume.obtain(account, role, region, source=source, log=log, min_seconds_left=MIN_SECONDS_LEFT)
    sys.stdout.write(_json_object(document(assumed.credentials)) + "\n")
    sys.stdout.flush()
    return 0


def _json_object(values: dict) -> str:
    """``json.dumps(values)`` for an object of strings and integers, without importing json (and re behind it)."""
    from assume_role.lean_json import encode_string_ascii

    def encoded(value) -> str:
        return "null" if value is None else str(value) if isinstance(value, int) else encode_string_ascii(value)

    fields = (f"{encode_string_ascii(key)}: {encoded(value)}" for key, value in values.items())
    return "{" + ", ".join(fields) + "}"


def document(credentials) -> dict:
    """The JSON object the AWS config file's credential_process must print."""
    expiration = credentials.expiration.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "SessionToken": credentials.session_token,
        "Expiration": expiration,
    }


def _profiles(args) -> int:
    import functools

    from assume_role import accounts, settings
    from assume_role.accounts import aws_profiles as aws_config
    from assume_role.state import paths
    from assume_role.commands import assume

    if args.account or args.role:
        raise UsageError("--profiles writes every account and role of the accounts file; give no ACCOUNT or ROLE")
    known = accounts.load()
    command = args.command or _own_command()
    # The region the main command would use; it depends on the account's
    # region only, so the bastion profile is read once, not once an account.
    region = functools.cache(
        functools.partial(assume.region, None, profile=settings.bastion_profile(), for_profile=True)
    )
    sections = aws_config.credential_process_profiles(known.values(), command, region)
    if not sections:
        raise UsageError(f"no account in {paths.accounts_file()} lists its roles: add \"roles\": [...] to an entry")
    if not args.write:
        sys.stdout.write(aws_config.render(sections))
        return 0
    for line in aws_config.merge_into_config(sections):
        print(f"assume-role: {line}", file=sys.stderr)
    return 0


def _own_command() -> str:
    """This program as a tool should start it: its full path when it is on PATH."""
    import shlex
    import shutil

    found = shutil.which("assume-role")
    if found and os.access(found, os.X_OK):
        return shlex.quote(found)
    return "assume-role"
