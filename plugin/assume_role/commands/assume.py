"""The main command: resolve everything locally, run the STS flow, print code.

``obtain`` is the one path from a request to role credentials; ``exec``,
``credential-process``, ``console`` and the shells' auto-refresh use it too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NamedTuple

from assume_role import accounts, emitters, saml, settings, validate, variables
from assume_role.accounts import Account
from assume_role.credentials import Credentials
from assume_role.errors import UsageError
from assume_role.store import ROLE_REUSE_MARGIN, Store

Log = Callable[[str], None]
# (the MFA_TOKEN argument or None, the Bastion, log) -> the flow's code source.
CodeSourceFactory = Callable[..., Callable[[str, int], str]]


def logger(verbose: bool) -> Log:
    def log(message: str) -> None:
        if verbose:
            print(f"assume-role: {message}", file=sys.stderr)

    return log


class Assumed(NamedTuple):
    """A resolved request and the role credentials obtained for it."""

    account: Account
    role: str
    region: str
    credentials: Credentials
    store: Store


def main(args) -> int:
    from assume_role.detect import calling_shell

    emitter = emitters.for_shell(args.shell or calling_shell())
    if args.unset:
        _write(emitter.script(unsets=variables.EXPORTED + variables.UNSET_ON_ASSUME))
        return 0
    log = logger(args.verbose)
    # AWS_ASSUME_ROLE_AUTH_SCHEME=saml: ACCOUNT ROLE [REGION], signed in at an identity provider.
    provider = saml.configured(args)
    assumed = obtain(
        args.account, args.role, args.mfa_token, args.region, refresh=args.refresh, log=log, provider=provider
    )

    from assume_role import history

    values = export_values(assumed)
    _write(emitter.script(exports=values, unsets=variables.UNSET_ON_ASSUME))
    history.record(assumed.account.alias, assumed.account.id, assumed.role, assumed.region)
    log(f"assumed {assumed.role} in {assumed.account.alias} until {values['AWS_CREDENTIAL_EXPIRATION']}")
    return 0


def export_values(assumed: Assumed) -> dict[str, str]:
    """The variables a shell (or a command run by ``exec``) gets for the role."""
    from assume_role import exports

    account = assumed.account
    values = exports.for_role(assumed.credentials, account.alias, account.id, assumed.role, assumed.region)
    values.update(assumed.store.exports())
    return values


def obtain(
    account_name: str | None,
    role_name: str | None,
    mfa_token: str | None = None,
    region_name: str | None = None,
    *,
    log: Log,
    refresh: bool = False,
    min_seconds_left: float = ROLE_REUSE_MARGIN,
    console: bool = False,
    code_source: CodeSourceFactory | None = None,
    provider: saml.Provider | None = None,
) -> Assumed:
    """Resolve a request and return the role's credentials, stored or new.

    ``min_seconds_left``: stored credentials are reused only with more life
    than that. ``console``: credentials the federation endpoint accepts
    (AssumeRole without DurationSeconds, never stored).
    ``code_source(given_code, bastion, log)`` says where a new MFA code comes
    from (default: the argument, mfa_process, the terminal). ``provider``: the
    SAML identity provider the main command signs in at instead of the
    bastion; the other subcommands use the bastion only.
    """
    if provider is None and saml.enabled():
        raise UsageError(
            "exec, credential-process, console and the shells' auto-refresh use the bastion: "
            "unset AWS_ASSUME_ROLE_AUTH_SCHEME for them"
        )
    # Everything that can be checked without the network is checked first.
    known = accounts.load()
    account_name = account_name or _missing(
        "ACCOUNT" if role_name else "ACCOUNT and ROLE", lambda ui: ui.ask_account(known)
    )
    account = accounts.resolve(account_name, known)
    role = validate.role_name(role_name or _missing("ROLE", lambda ui: ui.ask_role(account)))
    code = validate.mfa_code(mfa_token) if mfa_token else None
    duration = settings.role_duration()
    region = region_name and validate.region(region_name)
    region = region or account.region or settings.region_from_environment()
    log(f"account {account.alias} ({account.id}), role {role}, {'console' if console else f'{duration}s'}")

    from assume_role import store as stores

    profile = settings.bastion_profile()
    external_id = None if provider else settings.external_id(account.id)
    store = stores.open_store()
    role_key = stores.role_key(provider.cache_profile if provider else profile, account.id, role, duration, external_id)
    cached = None if refresh or console else store.load_role(role_key, min_seconds_left)
    if cached is not None and region in (None, cached[1]):
        # A hit answers without botocore or the network.
        credentials, region = cached
        log(f"reusing stored credentials for {role} in {account.alias} ({int(credentials.seconds_left() // 60)} min left)")
        return Assumed(account, role, region, credentials, store)

    from assume_role.bastion import open_bastion
    from assume_role.flow import Flow, Request

    bastion = open_bastion(profile)
    # Asked only when nothing names one; without a terminal, the default.
    region = (
        region
        or _config_region(bastion)
        or _missing("REGION", lambda ui: ui.ask_region(), default=settings.DEFAULT_REGION)
    )
    bastion.region = region
    request = Request(account, role, region, None if console else duration, profile, external_id)
    if provider:
        credentials = provider.assume(request, log)
    else:
        source = (code_source or _code_source)(code, bastion, log)
        credentials = Flow(request, bastion, store, source, log).run()
    if not console:
        store.save_role(role_key, credentials, region)
    return Assumed(account, role, region, credentials, store)


def _config_region(bastion) -> str | None:
    region = bastion.config_region()
    return validate.region(region) if region else None


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


def _code_source(code: str | None, bastion, log):
    def ask(serial: str, seconds: int) -> str:
        # Imported only when a code is needed: a role switch never asks.
        from assume_role import mfa_input

        return mfa_input.source(code, bastion.config, bastion.profile, log)(serial, seconds)

    return ask


def _write(script: str) -> None:
    # One write at the very end: a failure before this point leaves stdout empty.
    sys.stdout.write(script)
    sys.stdout.flush()
