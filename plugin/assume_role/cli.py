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

from assume_role import __version__, errors, variables
from assume_role.subcommands import BY_NAME, SUBCOMMANDS
from assume_role.validate import printable

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

def _subcommand_lines() -> str:
    # A usage too long for its column gets a line of its own; "\n" in a text
    # continues it under the column.
    lines = []
    for usage, text in ((entry.usage, entry.help) for entry in SUBCOMMANDS if entry.usage):
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
  runs always need an MFA code. A bastion profile whose credentials are
  temporary (a role profile, SSO, aws login) assumes the role with them, with
  no MFA step, for at most 1 hour.

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

signing in through IAM Identity Center (SSO):
  when the bastion profile has sso_session (or sso_start_url), as the AWS CLI
  writes it, ROLE is a permission set and the arguments are ACCOUNT ROLE
  [REGION]; the sign-in in ~/.aws/sso/cache is shared with the AWS CLI. With
  sso_account_id and sso_role_name too, that role is the bastion (one hour).

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
            return index if arg in BY_NAME else None
    return None


_SHELLS = ("bash", "zsh", "fish", "sh")
_FLAGS = {"-v": "verbose", "--verbose": "verbose", "--refresh": "refresh", "--unset": "unset"}


def plain_arguments(argv: list[str]):
    """The main command's arguments read without argparse, for the usual forms only.

    How the plugins and people run it (``--shell SHELL --output-fd FD``, the
    flags -v, --refresh, --unset, then up to four words) is read here, so a
    cache hit does not import argparse. Anything else (help, version,
    ``--``, ``--opt=value``, a repeated or invalid option, a word starting
    with ``-``) gives None: argparse then reads it, and words every error.
    The result equals argparse's for every argv it accepts (a test checks).
    """
    from types import SimpleNamespace

    values: dict = {"shell": None, "output_fd": None, "verbose": False, "refresh": False, "unset": False}
    words: list[str] = []
    closed = False  # argparse reads the words in one run: none may follow an option that follows them
    index = 0
    while index < len(argv):
        arg = argv[index]
        closed = closed or (bool(words) and arg.startswith("-"))
        if arg in ("--shell", "--output-fd"):
            key = arg[2:].replace("-", "_")
            if index + 1 == len(argv) or values[key] is not None:
                return None
            value = _shell_or_descriptor(key, argv[index + 1])
            if value is None:
                return None
            values[key] = value
            index += 2
            continue
        if arg in _FLAGS:
            values[_FLAGS[arg]] = True
        elif arg.startswith("-") or len(words) == 4 or closed:
            return None
        else:
            words.append(arg)
        index += 1
    words += [None] * (4 - len(words))
    return SimpleNamespace(account=words[0], role=words[1], mfa_token=words[2], region=words[3], **values)


def _shell_or_descriptor(key: str, value: str):
    if key == "shell":
        return value if value in _SHELLS else None
    if not (value.isascii() and value.isdigit()) or int(value) < 2:
        return None
    try:
        os.fstat(int(value))
    except OSError:
        return None
    return int(value)


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
    if where is not None and _asks_help(argv[where + 1 :]) and BY_NAME[argv[where]].module is None:
        # clear and help have no module of their own: their help is their line in the table.
        return _own_help(argv[:where] + argv[where + 1 :], BY_NAME[argv[where]])
    if where is not None and BY_NAME[argv[where]].evaluated:
        entry = BY_NAME[argv[where]]
        if entry.module is not None:
            # Shell code on stdout, as the main command prints: it reads the
            # options before its word (--shell, --output-fd) the same way.
            return importlib.import_module(entry.module).main(argv[where + 1 :], output=_output_for(argv[:where]))
        argv, where = argv[:where] + ["--unset"] + argv[where + 1 :], None
    if where is None:
        args = plain_arguments(argv) or build_parser(_output_for(argv)).parse_args(argv)
        if args.shell and not args.unset and os.environ.get(variables.SERVE) == "1":
            # A served shell (`assume-role serve`): the endpoint instead of keys.
            from assume_role.commands import serve

            return serve.assume_served(args)

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
            return _help(parser, argv[where + 1 :])
    module = importlib.import_module(BY_NAME[argv[where]].module)
    return module.main(argv[where + 1 :])


def _asks_help(words: list[str]) -> bool:
    """-h or --help among ``words``, before a ``--``, as argparse reads them."""
    words = words[: words.index("--")] if "--" in words else words
    return "-h" in words or "--help" in words


def _help(parser, rest: list[str]) -> int:
    """``help``: the main help; ``help SUBCOMMAND``: that subcommand's."""
    if not rest:
        parser.print_help()
        return 0
    entry = BY_NAME.get(rest[0])
    if entry is None or not entry.usage or len(rest) > 1:
        listed = ", ".join(entry.name for entry in SUBCOMMANDS if entry.usage)
        raise errors.UsageError(f"help takes one subcommand name: {listed}")
    if entry.module is None:
        return _own_help([], entry, parser.output)
    return importlib.import_module(entry.module).main(["--help"])


def _own_help(options: list[str], entry, output: _Output | None = None) -> int:
    """The --help of a subcommand the main command serves itself (clear, help)."""
    import argparse

    from assume_role.arguments import Parser

    # Where help goes (--shell, --output-fd) is read as for the main command.
    Parser(
        prog=f"assume-role {entry.name}",
        usage=f"assume-role {entry.usage}",
        description=entry.details or entry.help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        output=output or _output_for(options),
    ).print_help()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv or "--verbose" in argv
    # Started from a served shell, assume-role reads the files it hides from SDKs.
    variables.reveal_files(os.environ)
    try:
        return run(argv)
    except errors.AssumeRoleError as exc:
        hint = "; run with -v for the steps" if isinstance(exc, errors.Unforeseen) and not verbose else ""
        # Messages quote aliases, role names and paths, which may hold escape
        # sequences: every one is filtered here, where all of them are printed.
        print(f"assume-role: {printable(str(exc))}{hint}", file=sys.stderr)
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
