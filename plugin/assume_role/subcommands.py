"""Every subcommand, once: the parser, --help, the shells' eval rule and Tab read this table.

A word that is not a subcommand is an account alias, so adding, renaming or
removing a subcommand here changes what ``assume-role WORD`` means everywhere
at once (the accounts sync never makes an alias of these names).

Imports nothing: completion reads it on every Tab.
"""

from __future__ import annotations

from collections import namedtuple


class Subcommand(
    namedtuple(
        "Subcommand",
        ["name", "module", "usage", "help", "completion", "takes_role", "evaluated", "details"],
        defaults=(None, None, None, False, False, None),
    )
):
    """One subcommand.

    ``module``: where its ``main(argv) -> int`` is (imported only when run);
    None for those the main command serves itself. ``usage`` and ``help``:
    its line in ``assume-role --help`` (none: not listed). ``completion``:
    its description for Tab (none: never offered). ``takes_role``: its next
    words are ACCOUNT and ROLE, completed as for the main command.
    ``evaluated``: its stdout is shell code, like the main command's; its
    ``main(argv, output=)`` is given the main command's output choice.
    ``details``: the --help text of a subcommand without a module.
    """


SUBCOMMANDS = (
    Subcommand(
        "clear", None, "clear", "unset every variable assume-role exported (also --unset)",
        "Remove the assumed role's variables from this shell", evaluated=True,
        details="Print shell code that unsets every variable assume-role exported, as\n"
        "--unset does. The shell plugin applies it to the current shell.",
    ),
    Subcommand(
        "init", "assume_role.commands.init", "init SHELL", "print the line to add to your shell's rc file",
        "Print the shell integration for your rc file",
    ),
    Subcommand(
        "status", "assume_role.commands.status", "status",
        "show the role assumed and its time left (exit 7 if none)",
        "Show the role assumed in this shell and the time left",
    ),
    Subcommand(
        "logout", "assume_role.commands.logout", "logout", "forget stored MFA and role sessions",
        "Forget stored MFA sessions and role credentials",
    ),
    Subcommand(
        "accounts", "assume_role.commands.accounts", "accounts list|sync",
        "list aliases and stored sessions (--json), or add an\nAWS Organization's accounts (sync --via ACCOUNT:ROLE)",
        "List the accounts file, or sync it from AWS Organizations",
    ),
    Subcommand(
        "keys", "assume_role.commands.keys", "keys add|list|remove|rotate",
        "keep the bastion's long-term keys in the OS keyring:\nadd [--from-credentials-file], list, remove, rotate;\n"
        "credential-process lends them to other tools",
        "Keep the bastion's keys in the OS keyring, and rotate them",
    ),
    Subcommand(
        "demo", "assume_role.commands.demo", "demo", "try it against a local AWS emulator, no account needed",
        "Try the tool against a local AWS emulator",
    ),
    Subcommand(
        "exec", "assume_role.commands.exec_", "exec [--server] ACCOUNT ROLE [MFA_TOKEN] -- COMMAND [ARG...]",
        "run COMMAND as the role; this shell is untouched\n(--server: a local endpoint renews the role while it runs)",
        "Run one command as a role; this shell is not changed", takes_role=True,
    ),
    Subcommand(
        "serve", "assume_role.commands.serve", "serve [--off]",
        "serve this shell's roles from a local endpoint that renews\nthem, instead of keys (--off: keys again)",
        "Serve roles to this shell from a local credential server", evaluated=True,
    ),
    Subcommand(
        "credential-process", "assume_role.commands.credential_process", "credential-process ACCOUNT ROLE",
        "print credential_process JSON for ~/.aws/config profiles\n(--profiles [--write]: profiles for the accounts file)",
        "Print credential_process JSON for an AWS config profile", takes_role=True,
    ),
    Subcommand(
        "console", "assume_role.commands.console", "console [ACCOUNT ROLE] [--service NAME] [--print]",
        "open the AWS console as the role (--print: print the URL)",
        "Open the AWS console as a role", takes_role=True,
    ),
    Subcommand(
        "help", None, "help [SUBCOMMAND]", "show this help, or a subcommand's", "Show help",
        details="Print the full help of assume-role, as --help does, or the help of SUBCOMMAND.",
    ),
    # The shell plugins' own: not listed, never offered.
    Subcommand("__complete", "assume_role.commands.complete"),
    Subcommand("__refresh", "assume_role.commands.refresh"),
    Subcommand("__server", "assume_role.commands.server"),
)

BY_NAME = {subcommand.name: subcommand for subcommand in SUBCOMMANDS}
