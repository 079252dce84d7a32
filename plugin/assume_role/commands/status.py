"""``assume-role status``: what this shell has assumed, and for how long.

Reads only the environment and the session store, so it is fast enough for
scripts and never imports botocore unless ``--check`` asks AWS itself.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from assume_role import devices, settings
from assume_role.errors import EXIT_NOT_ASSUMED, AssumeRoleError


def remaining(seconds: float) -> str:
    """``42m``, ``1h05m``, or ``expired``: the same words the prompt uses."""
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assume-role status", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="also ask AWS who the exported credentials belong to")
    args = parser.parse_args(argv)
    env = os.environ
    now = time.time()

    account, role = env.get("AWS_ACCOUNT_NAME"), env.get("AWS_ACCOUNT_ROLE")
    expires = _epoch(env.get("ASSUME_ROLE_EXPIRES_AT"))
    replaced = bool(account and role) and not _credentials_are_ours(env)
    assumed = bool(account and role and expires) and not replaced
    profile = settings.bastion_profile()
    remembered = devices.recall(profile)

    if replaced:
        # Another tool (or a script) exported other keys over the role's:
        # the names left behind describe credentials no longer in use.
        gone = "replaced" if env.get("AWS_ACCESS_KEY_ID") else "removed"
        print(
            f"no role assumed by assume-role in this shell: AWS_ACCESS_KEY_ID was {gone} since"
            " (by another tool or a script); run assume-role again to use a role"
        )
    elif assumed:
        left = expires - now
        print(f"{account}:{role} ({env.get('AWS_ACCOUNT_ID', '?')}) in {env.get('AWS_REGION', '?')}")
        user = remembered.get("user_name", "?")
        print(f"identity:     arn:aws:sts::{env.get('AWS_ACCOUNT_ID', '?')}:assumed-role/{role}/{user}")
        print(f"role session: {remaining(left)}" + (f" left (until {_clock(expires)})" if left > 0 else ""))
    else:
        print("no role assumed in this shell")
    _print_mfa_session(profile, remembered)
    if args.check and (assumed or (replaced and env.get("AWS_ACCESS_KEY_ID"))):
        arn = _check_with_aws(account, role)
        if arn is None:
            return EXIT_NOT_ASSUMED
        print(f"aws says:     {arn}")
        if assumed and not _is_role_session(arn, env.get("AWS_ACCOUNT_ID", ""), role):
            print(f"mismatch:     these credentials are not a session of {role} in {env.get('AWS_ACCOUNT_ID', '?')}")
            return EXIT_NOT_ASSUMED
    return 0 if assumed and expires > now else EXIT_NOT_ASSUMED


def _credentials_are_ours(env) -> bool:
    """Whether AWS_ACCESS_KEY_ID is still the key assume-role exported."""
    key = env.get("AWS_ACCESS_KEY_ID")
    return bool(key) and key == env.get("ASSUME_ROLE_ACCESS_KEY_ID")


def _is_role_session(arn: str, account_id: str, role: str) -> bool:
    # An assumed-role ARN names the role without its IAM path.
    name = role.rsplit("/", 1)[-1]
    return re.fullmatch(rf"arn:[a-z-]+:sts::{re.escape(account_id)}:assumed-role/{re.escape(name)}/.+", arn) is not None


def _print_mfa_session(profile: str, remembered: dict) -> None:
    from assume_role import store as stores

    serial = settings.mfa_serial_from_environment() or remembered.get("serial")
    try:
        store = stores.open_store()
        session = store.load_mfa(profile, serial) if serial else None
    except AssumeRoleError:
        session = None
    if session is None:
        print(f"MFA session:  none for profile {profile} (the next assume-role asks for a code)")
    else:
        left = session.credentials.seconds_left()
        print(f"MFA session:  {remaining(left)} left for profile {profile} ({serial}, kept in {store.name})")


def _check_with_aws(account: str, role: str) -> str | None:
    """Who AWS says the exported credentials are; None if it no longer takes them.

    Role credentials revoked at AWS (or ended early) would otherwise come back
    from the store on the next run, until their stored expiry: they are
    forgotten here, and the user is told how to get new ones.
    """
    from assume_role import aws
    from assume_role import store as stores

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
            + f"run assume-role --refresh {account} {role} for new ones",
            file=sys.stderr,
        )
        return None


def _epoch(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M %Z", time.localtime(epoch))
