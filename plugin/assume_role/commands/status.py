"""``assume-role status``: what this shell has assumed, and for how long.

Reads only the environment, the session store and where the bastion's keys
are (the keyring's index, the AWS files), so it is fast enough for scripts
and never imports botocore or keyring unless ``--check`` asks AWS itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time

from assume_role import settings, signin, variables
from assume_role.signin import Standing
from assume_role.signin.bastion import stored_mfa_session
from assume_role.state import devices
from assume_role.errors import EXIT_NOT_ASSUMED, AssumeRoleError
from assume_role.validate import printable


def remaining(seconds: float) -> str:
    """``42m``, ``1h05m``, or ``expired``: the same words the prompt uses."""
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


DESCRIPTION = """\
Show the role assumed in this shell (account, role, region, time left), the
sign-in in use (bastion MFA, SAML, IAM Identity Center, or a profile's
temporary credentials), how long it lasts, and where the bastion's keys come
from (the OS keyring or a file). Reads only the environment, the AWS files and
the session store; --check also asks AWS who the exported credentials are.
"""

EPILOG = """\
exit codes:
  0  a role is assumed and its credentials are still valid
  7  no role is assumed in this shell: none was, its credentials have
     expired, another tool replaced them, or (--check) AWS does not
     recognise them as the role's

"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="assume-role status",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--check", action="store_true", help="also ask AWS who the exported credentials belong to")
    parser.add_argument("--json", action="store_true", help="one JSON object for scripts (schema in the README)")
    args = parser.parse_args(argv)
    env = os.environ
    now = time.time()

    account, role = env.get("AWS_ACCOUNT_NAME"), env.get("AWS_ACCOUNT_ROLE")
    expires = _epoch(env.get("ASSUME_ROLE_EXPIRES_AT"))
    replaced = bool(account and role) and not _credentials_are_ours(env)
    assumed = bool(account and role and expires) and not replaced
    profile = settings.bastion_profile()
    remembered = devices.recall(profile)
    from assume_role.signin import sso as sso_sign_in

    sso = sso_sign_in.in_use()
    store = _open_store()
    sign_in = _sign_in(store)

    served = _served(env)
    if served:
        # A served shell holds no keys: what counts is what the server serves it.
        binding = _served_binding(env)
        replaced = False
        assumed = bool(account and role) and binding is not None and not binding.get("error")
        expires = _iso_epoch(binding.get("expiration")) if assumed else None
    if args.json:
        data = _as_json(assumed, replaced, expires, now, profile, remembered, store, sign_in)
        if sso is not None:
            data["sso"] = _sso_json(sso)
        data["served"] = served
        sys.stdout.write(json.dumps(data) + "\n")
        return 0 if data["valid"] else EXIT_NOT_ASSUMED
    if replaced:
        # Another tool (or a script) exported other keys over the role's:
        # the names left behind describe credentials no longer in use.
        gone = "replaced" if env.get("AWS_ACCESS_KEY_ID") else "removed"
        print(
            f"no role assumed by assume-role in this shell: AWS_ACCESS_KEY_ID was {gone} since"
            " (by another tool or a script); run assume-role again to use a role"
        )
    elif served:
        print(f"{printable(account or '?')}:{printable(role or '?')} ({printable(env.get('AWS_ACCOUNT_ID', '?'))})"
              f" in {printable(env.get('AWS_REGION', '?'))}")
        if binding is None:
            print("served:       no longer: the credential server does not serve this shell any more;"
                  f" run assume-role {printable(account or 'ACCOUNT')} {printable(role or 'ROLE')}")
        elif binding.get("error"):
            print(f"served:       no credentials: {printable(str(binding['error']).removeprefix('assume-role: '))}")
        else:
            print(f"served:       by the credential server (pid {binding.get('server_pid', '?')}) to this shell"
                  " and the processes started from it, renewed before each session ends")
            print(f"role session: {remaining(expires - now)} left (until {_clock(expires)}), renewed before it ends")
    elif assumed:
        left = expires - now
        # The variables may hold anything, escape sequences too: shown as ?.
        account, role = printable(account), printable(role)
        account_id, region = printable(env.get("AWS_ACCOUNT_ID", "?")), printable(env.get("AWS_REGION", "?"))
        print(f"{account}:{role} ({account_id}) in {region}")
        if sso is not None and not sso.hub:
            print(f"identity:     the permission set {role} of IAM Identity Center ({printable(sso.key)})")
        # The session name SAML gives is the identity provider's choice, not known here.
        elif sign_in.kind != "saml":
            session = printable(settings.session_name() or remembered.get("user_name", "?"))
            # The assumed-role ARN names the role without its IAM path.
            print(f"identity:     arn:aws:sts::{account_id}:assumed-role/{role.rsplit('/', 1)[-1]}/{session}")
        print(f"role session: {remaining(left)}" + (f" left (until {_clock(expires)})" if left > 0 else ""))
    else:
        print("no role assumed in this shell")
    if sso is not None:
        _print_sso_sign_in(sso)
    else:
        _print_sign_in(sign_in, now)
        if sign_in.kind == "bastion_mfa":
            _print_mfa_session(profile, remembered, store)
            _print_keys_origin(profile)
    if args.check and not served and (assumed or (replaced and env.get("AWS_ACCESS_KEY_ID"))):
        arn = _check_with_aws(account, role)
        if arn is None:
            return EXIT_NOT_ASSUMED
        print(f"aws says:     {arn}")
        if assumed and not _is_role_session(arn, env.get("AWS_ACCOUNT_ID", ""), role):
            print(f"mismatch:     these credentials are not a session of {role} in {account_id}")
            return EXIT_NOT_ASSUMED
    return 0 if assumed and expires > now else EXIT_NOT_ASSUMED


def _as_json(assumed: bool, replaced: bool, expires: float | None, now: float, profile: str, remembered: dict,
             store, sign_in: Standing) -> dict:
    """What ``--json`` prints; the README documents this schema (version 1)."""
    env = os.environ
    if expires is not None and not math.isfinite(expires):
        expires = None  # "inf" or "nan" in the variable: no usable time
    serial, session = stored_mfa_session(profile, remembered, store)
    ends = _epoch(str(sign_in.expires_at)) if sign_in.expires_at is not None else None
    mfa_left = int(session.credentials.seconds_left()) if session is not None else None
    origin = _keys_origin(profile)
    return {
        "schema": 1,
        "assumed": assumed,
        "replaced": replaced,
        "valid": bool(assumed and expires and expires > now),
        "account": env.get("AWS_ACCOUNT_NAME") or None,
        "account_id": env.get("AWS_ACCOUNT_ID") or None,
        "role": env.get("AWS_ACCOUNT_ROLE") or None,
        "region": env.get("AWS_REGION") or None,
        "expires_at": int(expires) if expires else None,
        "seconds_left": max(0, int(expires - now)) if expires else None,
        "mfa_session": {
            "profile": profile,
            "serial": serial,
            "valid": session is not None,
            "seconds_left": mfa_left,
            "store": store.name if store is not None else None,
        },
        "sign_in": {
            "kind": sign_in.kind,
            "summary": sign_in.summary,
            "profile": sign_in.profile,
            "via": sign_in.via,
            "idp": sign_in.idp,
            "expires_at": int(ends) if ends is not None else None,
            "seconds_left": max(0, int(ends - now)) if ends is not None else None,
        },
        "bastion_keys": {"source": origin.source},
    }


def _served(env) -> bool:
    """Whether this shell holds the credential server's endpoint that assume-role exported."""
    return bool(env.get(variables.SERVED_URI)) and env.get(variables.FULL_URI) == env[variables.SERVED_URI]


def _served_binding(env) -> dict | None:
    """What the server says about this shell's binding; None when it serves it no more."""
    from assume_role.serve import client

    found = client.running()
    name = client.binding_of(env[variables.FULL_URI], found)
    if name is None:
        return None
    try:
        answer = client.call(found, "status")
    except AssumeRoleError:
        return None
    for binding in answer.get("bindings") or ():
        if isinstance(binding, dict) and binding.get("binding") == name:
            return dict(binding, server_pid=answer.get("pid"))
    return None


def _iso_epoch(value) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _credentials_are_ours(env) -> bool:
    """Whether AWS_ACCESS_KEY_ID is still the key assume-role exported."""
    key = env.get("AWS_ACCESS_KEY_ID")
    return bool(key) and key == env.get("ASSUME_ROLE_ACCESS_KEY_ID")


def _is_role_session(arn: str, account_id: str, role: str) -> bool:
    # An assumed-role ARN names the role without its IAM path; an IAM
    # Identity Center permission set's role is AWSReservedSSO_<set>_<hex>.
    name = re.escape(role.rsplit("/", 1)[-1])
    pattern = rf"arn:[a-z-]+:sts::{re.escape(account_id)}:assumed-role/(?:{name}|AWSReservedSSO_{name}_[0-9a-f]+)/.+"
    return re.fullmatch(pattern, arn) is not None


def _sso_sign_in(sso) -> tuple[int | None, bool]:
    """(seconds left of the stored IAM Identity Center sign-in or None, whether it renews itself)."""
    from assume_role.state import sso_tokens

    token = sso.stored_token()
    if token is None:
        return None, False
    left = sso_tokens.seconds_left(token.expires_at)
    return (int(left) if left > 0 else None), bool(sso.config.session and sso_tokens.renewable(token))


def _sso_json(sso) -> dict:
    left, renewable = _sso_sign_in(sso)
    return {"session": sso.key, "valid": left is not None, "seconds_left": left, "renewable": renewable}


def _print_sso_sign_in(sso) -> None:
    left, renewable = _sso_sign_in(sso)
    name = f"IAM Identity Center ({printable(sso.key)})"
    if left is not None:
        until = time.time() + left
        print(f"sign-in:      {name}, {remaining(left)} left (until {_clock(until)}), shared with the AWS CLI")
    elif renewable:
        print(f"sign-in:      {name} has ended; the next assume-role renews it with its refresh token")
    else:
        print(f"sign-in:      none for {name} (the next assume-role signs in on the terminal)")


def _open_store():
    """The session store, or None when it cannot be opened (status still answers)."""
    from assume_role.state import store as stores

    try:
        return stores.open_store()
    except AssumeRoleError:
        return None


def _sign_in(store) -> Standing:
    """The sign-in the next run would use, and how it stands; a setting it refuses is said, not raised."""
    try:
        return signin.choose().standing(store)
    except AssumeRoleError as exc:
        return Standing("unusable", f"none usable: {exc}")


def _print_sign_in(sign_in: Standing, now: float) -> None:
    line = f"sign-in:      {printable(sign_in.summary)}"
    ends = _epoch(str(sign_in.expires_at)) if sign_in.expires_at is not None and sign_in.kind != "bastion_mfa" else None
    if ends is not None:
        # The MFA session has a line of its own; other ends are told here.
        left = ends - now
        line += f"; {sign_in.lasting} " + (f"end at {_clock(ends)} ({remaining(left)} left)" if left > 0
                                          else f"ended at {_clock(ends)}")
    print(line)


def _print_mfa_session(profile: str, remembered: dict, store) -> None:
    serial, session = stored_mfa_session(profile, remembered, store)
    if session is None:
        print(f"MFA session:  none for profile {printable(profile)} (the next assume-role asks for a code)")
    else:
        left = session.credentials.seconds_left()
        where = f"{printable(serial)}, kept in {store.name}"
        print(f"MFA session:  {remaining(left)} left for profile {printable(profile)} ({where})")


def _keys_origin(profile: str):
    from assume_role.aws import profiles

    try:
        return profiles.keys_origin(profile)
    except AssumeRoleError:  # an AWS file that cannot be used: the runs that need it say why
        return profiles.KeysOrigin("other", "AWS files that cannot be read (run assume-role to see why)")


def _print_keys_origin(profile: str) -> None:
    # Which key is for `keys list`: status output is shown and pasted around.
    origin = _keys_origin(profile)
    if origin.source == "keyring":
        text = f"in the keyring: {origin.detail}"
    elif origin.source in ("credentials-file", "config-file"):
        how = "keys add --from-credentials-file moves" if origin.source == "credentials-file" else "keys add stores"
        text = f"{printable(origin.detail)} in plain text (assume-role {how} them to the OS keyring)"
    elif origin.source == "other":
        text = f"from {printable(origin.detail)}, read by botocore"
    else:
        text = f"none found for profile {printable(profile)} (assume-role keys add stores them)"
    print(f"bastion keys: {text}")


def _check_with_aws(account: str, role: str) -> str | None:
    """Who AWS says the exported credentials are; None if it no longer takes them.

    Role credentials revoked at AWS (or ended early) would otherwise come back
    from the store on the next run, until their stored expiry: they are
    forgotten here, and the user is told how to get new ones.
    """
    from assume_role.aws import sdk as aws
    from assume_role.state import store as stores

    try:
        return aws.exported_caller_arn()
    except aws.CredentialsRejected as exc:
        print(f"aws says:     these credentials are no longer valid ({exc.code})")
        try:
            forgotten = stores.open_store().discard_role_credentials(os.environ.get("AWS_ACCESS_KEY_ID", ""))
        except AssumeRoleError:
            forgotten = 0
        sys.stdout.flush()
        print(
            f"assume-role: AWS rejected this shell's role credentials ({exc.code}): they were revoked or ended early; "
            + ("the stored copy is forgotten; " if forgotten else "")
            + f"run assume-role --refresh {printable(account)} {printable(role)} for new ones",
            file=sys.stderr,
        )
        return None


# Later than any session can end (year 9999); a larger value is not a time.
_LATEST = 253402300799


def _epoch(value: str | None) -> float | None:
    """The end of the role session, if the variable holds a plausible one.

    ``inf``, ``nan`` and ``1e20`` parse as floats but are no time of day.
    """
    try:
        # float() also takes other scripts' digits: only ASCII is a time we wrote.
        epoch = float(value) if value and value.isascii() else None
    except ValueError:
        return None
    if epoch is None or not math.isfinite(epoch) or not 0 <= epoch <= _LATEST:
        return None
    return epoch


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M %Z", time.localtime(epoch))
