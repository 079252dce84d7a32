"""``assume-role serve [--off]``: a served shell.

A served shell holds the credential server's endpoint
(``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``)
instead of keys, so every process started from it, before or after a switch,
asks the server, which serves the role the shell holds now and renews it
before it ends. ``ASSUME_ROLE_SERVE=1`` in the environment makes every shell
served; ``serve`` turns it on in this shell (and serves the role it holds),
``serve --off`` turns it off (and gives the shell keys for that role again).

Like the main command its stdout is shell code, so it runs through the shell
plugins, which name their shell's process in ``ASSUME_ROLE_SHELL_PID`` for
each run: the server serves the shell for as long as that process lives.
"""

from __future__ import annotations

import os
import sys

from assume_role import variables
from assume_role.errors import UsageError

USAGE = "assume-role serve [--off] [-v]"
DESCRIPTION = """\
Serve roles to this shell from your local credential server instead of keys:
the shell gets AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN, and every process started from it, before
or after a switch, gets the role the shell holds now, renewed before it ends
for as long as the MFA session lasts. ASSUME_ROLE_SERVE=1 in the environment
does the same for every shell. --off gives this shell keys again.
"""
# What keys-mode exported that a served shell must not keep.
_KEYS_ONLY = variables.CREDENTIALS + ("AWS_CREDENTIAL_EXPIRATION", "ASSUME_ROLE_EXPIRES_AT", "ASSUME_ROLE_ACCESS_KEY_ID")


def main(argv: list[str], output=None) -> int:
    import argparse

    from assume_role.arguments import Parser

    parser = Parser(prog="assume-role serve", usage=USAGE, description=DESCRIPTION, output=output,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--off", action="store_true", help="give this shell keys again instead of the endpoint")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never secrets)")
    args = parser.parse_args(argv)
    shell = getattr(output, "shell", None)
    if shell is None:
        raise UsageError("serve changes this shell: run it through the shell function (see assume-role init)")
    held = _held_role()
    if args.off:
        return _off(shell, held, args.verbose)
    if held is None:
        _write(shell, {variables.SERVE: "1"}, ())
        print("assume-role: this shell is served: the next role assumed comes from the credential server",
              file=sys.stderr)
        return 0
    account, role = held
    return _serve(shell, account, role, os.environ.get("AWS_REGION") or None, None, args.verbose,
                  extra={variables.SERVE: "1"})


def assume_served(args) -> int:
    """The main command in a served shell (ASSUME_ROLE_SERVE=1)."""
    return _serve(args.shell, args.account, args.role, args.region, args.mfa_token, args.verbose, arguments=args)


def _serve(shell, account, role, region, mfa_token, verbose, *, arguments=None, extra=None) -> int:
    from assume_role import signin
    from assume_role.commands import assume, server
    from assume_role.state import history

    pid = _shell_pid()
    server.check_available()
    log = assume.logger(verbose)
    source = signin.choose(mfa_token, arguments=arguments)
    # New credentials: their whole life ahead, and the MFA session's end known.
    assumed = assume.obtain(account, role, region, source=source, log=log, refresh=True)
    history.record(assumed.account.alias, assumed.account.id, assumed.role, assumed.region)
    uri, token, _ = server.attach(assumed, source, pid, binding=_binding())
    values = server.served_values(assumed, uri, token)
    values[variables.SERVED_URI] = uri
    values.update(assumed.store.exports())
    hidden = server.hidden_files(os.environ)
    values.update(hidden)
    values.update(extra or {})
    # A file hidden before that needs it no more is given back.
    restore, restore_unsets = variables.restored_files()
    values.update({name: value for name, value in restore.items() if name not in hidden})
    unsets = tuple(name for name in restore_unsets if name not in hidden)
    log(f"serving {assumed.role} in {assumed.account.alias} to this shell from the credential server")
    _write(shell, values, _KEYS_ONLY + variables.UNSET_ON_ASSUME + variables.CONTAINER_OVERRIDES + unsets)
    return 0


def _off(shell, held, verbose) -> int:
    from assume_role.commands import assume

    assume.stop_serving(os.environ)
    restore, restore_unsets = variables.restored_files()
    exports = dict(restore)
    if held is not None and _served():
        from assume_role import signin

        account, role = held
        source = signin.choose()
        assumed = assume.obtain(account, role, os.environ.get("AWS_REGION") or None, source=source,
                                log=assume.logger(verbose))
        exports.update(assume.export_values(assumed))
    _write(shell, exports, variables.SERVED + restore_unsets + (variables.SERVE,))
    return 0


def _held_role() -> tuple[str, str] | None:
    """The account and role this shell holds, with keys or served; None for none."""
    env = os.environ
    account, role = env.get("AWS_ACCOUNT_NAME") or env.get("AWS_ACCOUNT_ID"), env.get("AWS_ACCOUNT_ROLE")
    ours = bool(env.get("AWS_ACCESS_KEY_ID")) and env.get("AWS_ACCESS_KEY_ID") == env.get("ASSUME_ROLE_ACCESS_KEY_ID")
    if account and role and (ours or _served()):
        return account, role
    return None


def _served() -> bool:
    env = os.environ
    return bool(env.get(variables.SERVED_URI)) and env.get(variables.FULL_URI) == env[variables.SERVED_URI]


def _binding() -> str | None:
    """This shell's binding, when it is served already (the server checks it is this shell's)."""
    if not _served():
        return None
    name = os.environ[variables.FULL_URI].rsplit("/", 1)[-1]
    return name if name.isalnum() else None


def _shell_pid() -> int:
    text = os.environ.get(variables.SHELL_PID, "")
    if not (text.isascii() and text.isdigit() and 1 < int(text) < 2**31):
        raise UsageError("a served shell needs the shell function, which names the shell's process "
                         "(see assume-role init); use assume-role exec --server in scripts")
    return int(text)


def _write(shell: str, exports: dict[str, str], unsets: tuple[str, ...]) -> None:
    from assume_role.shell import emitters

    # One write at the very end: a failure before this point leaves stdout empty.
    sys.stdout.write(emitters.for_shell(shell).script(exports=exports, unsets=unsets))
    sys.stdout.flush()
