"""The main command: resolve everything locally, run the STS flow, print code."""

from __future__ import annotations

import sys

from assume_role import accounts, emitters, saml, settings, validate, variables
from assume_role.errors import UsageError


def _logger(verbose: bool):
    from assume_role.safe_text import printable

    def log(message: str) -> None:
        if verbose:
            # Aliases and role names may hold escape sequences: shown as ?.
            print(f"assume-role: {printable(message)}", file=sys.stderr)

    return log


def main(args) -> int:
    from assume_role.detect import calling_shell

    emitter = emitters.for_shell(args.shell or calling_shell())
    if args.unset:
        _write(emitter.script(unsets=variables.EXPORTED + variables.UNSET_ON_ASSUME))
        return 0
    log = _logger(args.verbose)
    # AWS_ASSUME_ROLE_AUTH_SCHEME=saml: ACCOUNT ROLE [REGION], signed in at an identity provider.
    provider = saml.configured(args)

    # Everything that can be checked without the network is checked first.
    known = accounts.load()
    account_name = args.account or _missing(
        "ACCOUNT" if args.role else "ACCOUNT and ROLE", lambda ui: ui.ask_account(known)
    )
    account = accounts.resolve(account_name, known)
    role = validate.role_name(args.role or _missing("ROLE", lambda ui: ui.ask_role(account)))
    code = validate.mfa_code(args.mfa_token) if args.mfa_token else None
    duration = settings.role_duration()
    region = args.region and validate.region(args.region)
    region = region or account.region or settings.region_from_environment()
    log(f"account {account.alias} ({account.id}), role {role}, {duration}s")

    from assume_role import exports, history, store as stores

    profile = settings.bastion_profile()
    external_id = None if provider else settings.external_id(account.id)
    store = stores.open_store()
    role_key = stores.role_key(provider.cache_profile if provider else profile, account.id, role, duration, external_id)
    cached = None if args.refresh else store.load_role(role_key)
    if cached is not None and region in (None, cached[1]):
        # A hit answers without botocore or the network.
        credentials, region = cached
        log(f"reusing stored credentials for {role} in {account.alias} ({int(credentials.seconds_left() // 60)} min left)")
    else:
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
        request = Request(account, role, region, duration, profile, external_id)
        if provider:
            credentials = provider.assume(request, log)
        else:
            credentials = Flow(request, bastion, store, _code_source(code, bastion, log), log).run()
        store.save_role(role_key, credentials, region)

    # All bookkeeping before the one write to stdout; each part of it only
    # warns when it fails, so the credentials are never withheld or half-applied.
    history.record(account.alias, account.id, role, region)
    values = exports.for_role(credentials, account.alias, account.id, role, region)
    values.update(store.exports())
    script = emitter.script(exports=values, unsets=variables.UNSET_ON_ASSUME)
    log(f"assumed {role} in {account.alias} until {values['AWS_CREDENTIAL_EXPIRATION']}")
    _write(script)
    return 0


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
