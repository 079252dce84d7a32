"""Command line entry point.

Run as a plain command, ``assume-role`` prints shell code on stdout, to be
used as ``eval "$(assume-role ...)"`` (fish: ``assume-role ... | source``).
Everything meant for people goes to stderr, and on any failure stdout stays
empty so that the eval changes nothing.

With ``--shell`` (how the shell plugins call it), stdout carries shell code and
nothing else, whatever the arguments: the subcommands that print text for
people (``status``, ``init``, ``logout``, ``demo``, ``help``, ``--help``,
``--version``) write it to the descriptor named by ``--output-fd``, else to
stderr. The plugins therefore evaluate whatever stdout holds and never look at
the arguments themselves; see ``_Output``.

Only the network path imports botocore; ``--help``, ``init``, completion,
``clear`` and the prompt helpers stay cheap. A subcommand with no option
before it (how the plugins run ``__complete`` on every Tab) is dispatched
without building a parser, so argparse is not even imported.
"""

from __future__ import annotations

import importlib
import os
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
    "accounts": "assume_role.commands.accounts",
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

# One line per subcommand, shown by --help; a test checks that every
# subcommand above has one.
SUBCOMMAND_HELP = (
    ("clear", "unset every variable assume-role exported (also --unset)"),
    ("init SHELL", "print the line to add to your shell's rc file"),
    ("status", "show the role assumed and its time left (exit 7 if none)"),
    ("logout", "forget stored MFA and role sessions"),
    ("demo", "try it against a local AWS emulator, no account needed"),
    ("exec ACCOUNT ROLE [MFA_TOKEN] -- COMMAND [ARG...]", "run COMMAND as the role; this shell is untouched"),
    ("credential-process ACCOUNT ROLE", "print credential_process JSON for ~/.aws/config profiles\n"
     "(--profiles [--write]: profiles for the accounts file)"),
    ("console [ACCOUNT ROLE] [--service NAME] [--print]", "open the AWS console as the role (--print: print the URL)"),
    ("accounts list|sync", "list aliases and stored sessions (--json), or add an\n"
     "AWS Organization's accounts (sync --via ACCOUNT:ROLE)"),
)


def _subcommand_lines() -> str:
    # A usage too long for its column gets a line of its own; "\n" in a text
    # continues it under the column.
    lines = []
    for usage, text in SUBCOMMAND_HELP:
        first, *more = text.split("\n")
        lines.append(f"  {usage:<19} {first}" if len(usage) <= 19 else f"  {usage}\n  {'':<19} {first}")
        lines += [f"  {'':<19} {line}" for line in more]
    return "".join(line + "\n" for line in lines)

EPILOG = "subcommands:\n" + _subcommand_lines() + """
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
  ASSUME_ROLE_SESSION_NAME   role session name (also AWS_USERNAME; default:
                             the bastion IAM user's name)
  ASSUME_ROLE_CACHE          where sessions are kept: file (default), keyring,
                             env or none
  ASSUME_ROLE_MFA_PROCESS    command that prints the MFA code (also the
                             profile's mfa_process); its output is never shown
  ASSUME_ROLE_MFA_PROCESS_TIMEOUT  seconds to wait for it (default: 60)
  ASSUME_ROLE_HTTP_TIMEOUT   seconds per attempt of an AWS request (default: 10)
  AWS_MAX_ATTEMPTS           attempts per AWS request (default: 3)
  ASSUME_ROLE_REFRESH_BEFORE seconds left at which the shell plugins renew the
                             role before the next command (default: 600)
  ASSUME_ROLE_AUTO_REFRESH   0: the shell plugins never renew the role
  ASSUME_ROLE_FEDERATION_ENDPOINT  console sign-in endpoint (https or loopback)

signing in through a SAML identity provider (AWS_ASSUME_ROLE_AUTH_SCHEME=saml):
  arguments are ACCOUNT ROLE [REGION]; the username and password come from
  SAML_FILE (default ~/.saml/credentials, mode 600) or the terminal and are
  POSTed, only over https or to loopback, to the identity provider
  SAML_IDP_ASSERTION_URL    its sign-in API; answers {"saml_response": ...}
  SAML_IDP_REQUEST_BODY_TEMPLATE  JSON with $saml_user and $saml_password
  SAML_IDP_NAME             the SAML provider's name in IAM

exit codes:
  0 success   1 unexpected error   2 bad arguments or configuration
  3 bastion credentials missing, invalid or expired (SAML: sign-in refused)
  4 MFA code or device
  5 AWS denied the role   6 network, timeout or throttling   130 interrupted
  7 (status only) no valid role is assumed in this shell
"""


def build_parser(output: _Output | None = None):
    """The main command's parser (an ``arguments.Parser``)."""
    import argparse

    from assume_role.arguments import Parser, output_options

    parser = Parser(
        prog="assume-role",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        output=output,
    )
    parser.add_argument("account", nargs="?", metavar="ACCOUNT")
    parser.add_argument("role", nargs="?", metavar="ROLE")
    parser.add_argument("mfa_token", nargs="?", metavar="MFA_TOKEN")
    parser.add_argument("region", nargs="?", metavar="REGION")
    output_options(parser)
    parser.add_argument("--unset", action="store_true", help="print code that unsets every exported variable")
    parser.add_argument("--refresh", action="store_true", help="do not reuse stored role credentials")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    parser.add_argument("-V", "--version", action="version", version=f"assume-role {__version__}")
    return parser


class _Output:
    """Where stdout goes: the one place that decides what is shell code.

    Without --shell, stdout is simply stdout. With --shell it is the eval
    channel and carries shell code only: a run that prints anything else
    (a subcommand other than clear, help, version) first points descriptor 1
    at the descriptor given with --output-fd (the plugin's own stdout), else
    at stderr. Moving the descriptor rather than Python's stream means the
    demo's terminal UI and any child process follow too.
    """

    def __init__(self, shell: str | None = None, fd: int | None = None):
        self.shell = shell
        self.fd = fd
        self.moved = False

    def for_people(self) -> None:
        if self.shell is None or self.moved:
            return
        self.moved = True
        target = 2 if self.fd is None else self.fd
        sys.stdout.flush()
        os.dup2(target, 1)
        if target > 2:
            os.close(target)
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=os.isatty(1))


def _subcommand(argv: list[str]) -> int | None:
    """The index of the subcommand word, if the first positional is one.

    After ``--`` every word is positional data, so an alias named like a
    subcommand stays usable: ``assume-role -- status read``.
    """
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in ("--shell", "--output-fd"):
            skip = True
        elif arg == "--":
            return None
        elif not arg.startswith("-") or arg == "-":
            return index if arg in PASS_THROUGH or arg in EVALUATED or arg == "help" else None
    return None


def _output_for(argv: list[str]) -> _Output:
    """Read --shell and --output-fd before anything prints (help and version
    print while the full parse is still going)."""
    from assume_role.arguments import Parser, output_options

    parser = Parser(add_help=False)
    output_options(parser)
    options, _ = parser.parse_known_args(argv[: argv.index("--")] if "--" in argv else argv)
    return _Output(options.shell, options.output_fd)


def run(argv: list[str]) -> int:
    where = _subcommand(argv)
    if where is not None and argv[where] in EVALUATED:
        argv, where = argv[:where] + ["--unset"] + argv[where + 1 :], None
    if where is None:
        args = build_parser(_output_for(argv)).parse_args(argv)

        from assume_role.commands import assume

        return assume.main(args)
    # Not shell code. Only the options before the subcommand are the main
    # command's; they are checked, and decide where the output goes. Tab and
    # the shell hooks put none there, and pay for no parser (nor argparse).
    if where or argv[where] == "help":
        output = _output_for(argv[:where])
        parser = build_parser(output)
        parser.parse_args(argv[:where])
        output.for_people()
        if argv[where] == "help":
            parser.print_help()
            return 0
    module = importlib.import_module(PASS_THROUGH[argv[where]])
    return module.main(argv[where + 1 :])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv or "--verbose" in argv
    try:
        return run(argv)
    except errors.AssumeRoleError as exc:
        hint = "; run with -v for the steps" if isinstance(exc, errors.Unforeseen) and not verbose else ""
        print(f"assume-role: {exc}{hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("assume-role: interrupted; nothing was changed", file=sys.stderr)
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        return errors.EXIT_FAILURE
    except Exception as exc:  # a bug: still one line unless asked for detail
        print(f"assume-role: unexpected error: {_bug_report(exc, verbose)}", file=sys.stderr)
        return errors.EXIT_FAILURE


def _bug_report(exc: BaseException, verbose: bool) -> str:
    """The exception's type and where it happened, never its text.

    An exception's text can quote whatever a library was handling, an AWS
    answer full of credentials included. With -v the stack is printed: file,
    line and source code only, no values.
    """
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if verbose:
        sys.stderr.write("Stack (most recent call last):\n" + "".join(traceback.format_list(frames)))
    ours = [f for f in frames if "assume_role" in f.filename.replace("\\", "/").split("/")]
    where = f" in {ours[-1].name} ({ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno})" if ours else ""
    hint = "" if verbose else " (run with -v for details)"
    return f"{type(exc).__name__}{where}{hint}"
