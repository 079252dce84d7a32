"""What the user assumed before: roles per account and the last choices.

Feeds completion (roles assumed before) and the interactive pickers (last
choices first). Losing this file loses nothing important, so a file that
cannot be read, or is damaged, is one warning and reads as "no history".
"""

from __future__ import annotations

import os

from assume_role.state import paths
from assume_role.state.files import load_optional, save_optional, warn_damaged

MAX_ROLES_PER_ACCOUNT = 20
WHAT = "history file"


def _path():
    return os.path.join(paths.state_dir(), "history.json")


def _sound(data: dict) -> bool:
    roles, last = data.get("roles", {}), data.get("last", {})
    return (
        isinstance(roles, dict)
        and all(isinstance(v, list) and all(isinstance(r, str) for r in v) for v in roles.values())
        and isinstance(last, dict)
        and all(isinstance(v, str) for v in last.values())
    )


def load() -> dict:
    data = load_optional(_path(), WHAT)
    if not _sound(data):
        warn_damaged(_path(), WHAT)
        return {}
    return data


def roles_for(account_id: str, data: dict | None = None) -> list[str]:
    return list((data if data is not None else load()).get("roles", {}).get(account_id, []))


def last_choice(data: dict | None = None) -> dict:
    return dict((data if data is not None else load()).get("last", {}))


def record(account_alias: str, account_id: str, role: str, region: str) -> None:
    """Remember a successful assume; a failure is a warning, never the command's."""
    data = load()
    known = roles_for(account_id, data)
    roles = ([role] + [r for r in known if r != role])[:MAX_ROLES_PER_ACCOUNT]
    last = {"account": account_alias, "role": role, "region": region}
    if roles == known and data.get("last") == last:
        return  # the same choice again (a cache hit, mostly): nothing to write
    data.setdefault("roles", {})[account_id] = roles
    data["last"] = last
    save_optional(_path(), data)
