"""``assume-role logout``: forget stored MFA sessions and role credentials."""

from __future__ import annotations

import argparse

from assume_role import settings
from assume_role.signin import saml
from assume_role.signin import sso as sso_sign_in
from assume_role.state import store as stores


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="assume-role logout",
        description="Forget stored MFA sessions and role credentials, so the next run asks for an MFA code "
        "(with an IAM Identity Center profile: sign out of it, for the AWS CLI too). "
        "The current shell keeps its exported credentials: run `assume-role clear` for those.",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--profile", help="bastion profile to forget (default: AWS_PROFILE_ASSUME_ROLE or default)")
    scope.add_argument("--all", action="store_true", help="forget every profile's sessions")
    args = parser.parse_args(argv)
    # With the SAML scheme on, its sessions are the ones to forget by default;
    # with an IAM Identity Center profile, its sessions and its sign-in.
    sso = None if args.all else sso_sign_in.in_use(args.profile)
    if args.all:
        profile = None
    elif sso is not None:
        profile = sso.cache_profile
    else:
        profile = args.profile or saml.cache_profile() or settings.bastion_profile()
    removed = stores.open_store().forget(profile)
    who = "all profiles" if profile is None else f"profile {profile}"
    print(f"removed {removed} stored session{'s' if removed != 1 else ''} for {who}")
    if sso is not None and sso.sign_out():
        print(f"signed out of IAM Identity Center ({sso.key}), for the AWS CLI too")
    from assume_role.serve import client

    # Whatever profile was named: nothing served outlives a logout.
    if client.logout():
        print("the credential server serves no role any more")
    return 0
