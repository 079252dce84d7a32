"""The main command: resolve everything locally, run the STS flow, print code.

``obtain`` is the one path from a request to role credentials; ``exec``,
``credential-process``, ``console`` and the shells' auto-refresh use it too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from collections import namedtuple

from assume_role import accounts, settings, validate
from assume_role.shell import emitters
from assume_role import signin
from assume_role.signin import SignIn
from assume_role import variables
from assume_role.errors import UsageError
from assume_role.request import Request, partition
from assume_role.state.store import ROLE_REUSE_MARGIN
from assume_role.validate import printable

Log = Callable[[str], None]


def logger(verbose: bool) -> Log:
    def log(message: str) -> None:
        if verbose:
            # Aliases and role names may hold escape sequences: shown as ?.
            print(f"assume-role: {printable(message)}", file=sys.stderr)

    return log


# A resolved request and the role credentials obtained for it (and the store that kept them).
Assumed = namedtuple("Assumed", ["account", "role", "region", "credentials", "store"])


def main(args) -> int:
    from assume_role.shell.emitters import calling_shell

    shell = args.shell or calling_shell()
    emitter = emitters.for_shell(shell)
    restore, restore_unsets = variables.restored_files()
    if args.unset:
        stop_serving(os.environ)
        _write(emitter.script(exports=restore, unsets=variables.EXPORTED + variables.UNSET_ON_ASSUME + restore_unsets))
        return 0
    if args.shell is None and os.isatty(1):
        # Printed on a terminal, credentials would change nothing and stay in
        # the scrollback: say how to load the function instead, before any
        # question or AWS call.
        raise UsageError(f"credentials are not printed on a terminal; {_how_to_load(shell)}")
    log = logger(args.verbose)
    # AWS_ASSUME_ROLE_AUTH_SCHEME=saml reads the arguments as ACCOUNT ROLE [REGION].
    source = signin.choose(args.mfa_token, arguments=args)
    assumed = obtain(args.account, args.role, args.region, source=source, log=log, refresh=args.refresh)

    from assume_role.state import history

    # All bookkeeping before the one write to stdout; each part of it only
    # warns when it fails, so the credentials are never withheld or half-applied.
    history.record(assumed.account.alias, assumed.account.id, assumed.role, assumed.region)
    values = export_values(assumed)
    stop_serving(os.environ)
    # Keys replace the endpoint of a shell that was served.
    values.update(restore)
    script = emitter.script(exports=values, unsets=variables.UNSET_ON_ASSUME + variables.SERVED + restore_unsets)
    log(f"assumed {assumed.role} in {assumed.account.alias} until {values['AWS_CREDENTIAL_EXPIRATION']}")
    _write(script)
    return 0


def stop_serving(environ) -> None:
    """A served shell that clears its role or takes keys: the server stops serving it."""
    if environ.get(variables.SERVED_URI) and environ.get(variables.FULL_URI) == environ[variables.SERVED_URI]:
        from assume_role.serve import client

        client.unbind(environ[variables.FULL_URI], environ.get(variables.SHELL_PID))


def export_values(assumed: Assumed) -> dict[str, str]:
    """The variables a shell (or a command run by ``exec``) gets for the role."""
    account = assumed.account
    values = variables.for_role(assumed.credentials, account.alias, account.id, assumed.role, assumed.region)
    values.update(assumed.store.exports())
    return values


def obtain(
    account_name: str | None,
    role_name: str | None,
    region_name: str | None = None,
    *,
    source: SignIn,
    log: Log,
    refresh: bool = False,
    min_seconds_left: float = ROLE_REUSE_MARGIN,
    console: bool = False,
) -> Assumed:
    """Resolve a request and return the role's credentials, stored or new from ``source``.

    ``min_seconds_left``: stored credentials are reused only with more life
    than that. ``console``: credentials the federation endpoint accepts
    (AssumeRole without DurationSeconds, never stored).
    """
    request = source.shape(
        resolve(account_name, role_name, region_name, log, console=console, offered=source.offered_roles)
    )

    from assume_role.state import store as stores

    store = stores.open_store()
    role_key = stores.role_key(
        source.cache_profile,
        request.account.id,
        request.role,
        request.duration,
        request.external_id,
        request.session_name,
        partition(request.region),
        traced=(request.source_identity, request.tags),
    )
    # Role credentials do not depend on the region: a hit serves any region
    # of the same partition.
    credentials = None if refresh or console else store.load_role(role_key, min_seconds_left)
    hit = credentials is not None
    if hit:
        # A hit answers without botocore or the network.
        log(
            f"reusing stored credentials for {request.role} in {request.account.alias} "
            f"({int(credentials.seconds_left() // 60)} min left)"
        )
    else:
        credentials = source.role_credentials(request, store, log, console=console)
        if not console:
            store.save_role(role_key, credentials)
    unused = source.unused_input()
    if unused:
        spared = "used the stored role credentials" if hit else source.spared_by()
        print(f"assume-role: {printable(spared)}; {unused} was not used", file=sys.stderr)
    return Assumed(request.account, request.role, request.region, credentials, store)


def resolve(
    account_name: str | None, role_name: str | None, region_name: str | None, log: Log, *, console: bool = False,
    offered=None,
) -> Request:
    """The whole request from arguments, files, environment and questions.

    Runs before the cache is asked, so a stored session and a new one are
    used with the same account, role and region. Imports nothing heavy.
    ``console``: no DurationSeconds (see ``obtain``). ``offered(account,
    log)``: roles the sign-in source knows, offered first when ROLE is asked.
    """
    account_name = account_name or _missing(
        "ACCOUNT" if role_name else "ACCOUNT and ROLE", lambda ui: ui.ask_account(accounts.choices())
    )
    # Only the entry named is read (a large file through its index), so a
    # problem with another entry never stops this one.
    account = accounts.find(account_name)
    role = validate.role_name(role_name or _missing("ROLE", lambda ui: ui.ask_role(_with_offered(account, offered, log))))
    duration = None if console else settings.role_duration()
    profile = settings.bastion_profile()
    log(f"account {account.alias} ({account.id}), role {role}, {'console' if console else f'{duration}s'}")
    return Request(
        account=account,
        role=role,
        region=region(region_name, account.region, profile),
        duration=duration,
        profile=profile,
        external_id=settings.external_id(account.id),
        session_name=settings.session_name(),
        source_identity=settings.source_identity_enabled(),
        tags=tuple(sorted(settings.session_tags().items())),
    )


def _with_offered(account, offered, log):
    """``account`` with the roles the sign-in source offers added to those of its entry."""
    found = offered(account, log) if offered is not None else ()
    extra = tuple(role for role in found if role not in account.roles)
    return account._replace(roles=account.roles + extra) if extra else account


def region(argument: str | None, account_region: str | None, profile: str, *, for_profile: bool = False) -> str:
    """The one decision of a request's region: the argument, the account's
    entry, AWS_REGION/AWS_DEFAULT_REGION, the bastion profile, then a question
    (without a terminal, the default).

    ``for_profile``: the region written into a credential_process profile.
    The SDKs read the two variables themselves, ahead of a profile's region,
    so they are left out (a variable of the shell that writes the profile
    would otherwise be fixed in it for good), and nobody is asked.
    """
    if argument:
        return validate.region(argument)
    found = account_region or (None if for_profile else settings.region_from_environment())
    if found:
        return found
    from assume_role.aws import profiles

    configured = profiles.profile_region(profile)
    if configured:
        return validate.region(configured)
    if for_profile:
        return settings.DEFAULT_REGION
    return _missing("REGION", lambda ui: ui.ask_region(), default=settings.DEFAULT_REGION)


def _how_to_load(shell: str) -> str:
    if shell == "fish":
        return "load the shell function first: assume-role init fish | source"
    if shell in ("bash", "zsh"):
        return f'load the shell function first: eval "$(assume-role init {shell})"'
    return 'this shell has no plugin: run eval "$(assume-role --shell sh ACCOUNT ROLE)"'


def _missing(what: str, ask, default: str | None = None) -> str:
    """Ask on the terminal for a value not given; never read stdin otherwise."""
    from assume_role import interactive

    if interactive.available():
        return ask(interactive)
    if default is not None:
        return default
    raise UsageError(
        f"missing {what} and no terminal to ask on: usage is assume-role ACCOUNT ROLE [MFA_TOKEN] [REGION]"
    )


def _write(script: str) -> None:
    # One write at the very end: a failure before this point leaves stdout empty.
    sys.stdout.write(script)
    sys.stdout.flush()
