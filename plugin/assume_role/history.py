"""What the user assumed before: roles per account and the last choices.

Feeds completion (roles assumed before) and the interactive pickers (last
choices first). Losing this file loses nothing important, so every read error
is treated as "no history".
"""

from __future__ import annotations

from assume_role import paths
from assume_role.state_files import read_json, write_json_atomic

MAX_ROLES_PER_ACCOUNT = 20


def _path():
    return paths.state_dir() / "history.json"


def load() -> dict:
    return read_json(_path())


def roles_for(account_id: str, data: dict | None = None) -> list[str]:
    roles = (data if data is not None else load()).get("roles", {}).get(account_id, [])
    return [r for r in roles if isinstance(r, str)]


def last_choice(data: dict | None = None) -> dict:
    last = (data if data is not None else load()).get("last", {})
    return last if isinstance(last, dict) else {}


def record(account_alias: str, account_id: str, role: str, region: str) -> None:
    """Remember a successful assume; never fails the command."""
    try:
        data = load()
        roles = [r for r in roles_for(account_id, data) if r != role]
        data.setdefault("roles", {})[account_id] = ([role] + roles)[:MAX_ROLES_PER_ACCOUNT]
        data["last"] = {"account": account_alias, "role": role, "region": region}
        write_json_atomic(_path(), data)
    except OSError:
        pass
