"""The permission sets IAM Identity Center gives the person, per account, for Tab and the pickers.

Tab runs a process on every key press and cannot ask AWS: what the picker
and ``accounts sync --sso`` learnt from ListAccountRoles is kept here, per
bastion profile (which names the sign-in), and Tab reads it. Only a cache:
a missing or broken file means no roles offered, never a failure.
"""

from __future__ import annotations

from assume_role.state import paths

FILE = "sso-roles.json"


def recall(profile: str) -> dict[str, list[str]]:
    """Account id -> permission sets, as last listed for ``profile``'s sign-in."""
    from assume_role.state.files import load_optional

    found = load_optional(paths.cache_dir() / FILE, "IAM Identity Center roles").get(profile)
    if not isinstance(found, dict):
        return {}
    return {account: [r for r in roles if isinstance(r, str)]
            for account, roles in found.items() if isinstance(account, str) and isinstance(roles, list)}


def remember(profile: str, roles: dict[str, list[str]], *, complete: bool = False) -> None:
    """Keep the listed permission sets; ``complete``: ``roles`` holds every account (a sync)."""
    from assume_role.state.files import load_optional, save_optional

    path = paths.cache_dir() / FILE
    data = load_optional(path, "IAM Identity Center roles")
    known = {} if complete else recall(profile)
    data[profile] = {**known, **roles}
    save_optional(path, data)
