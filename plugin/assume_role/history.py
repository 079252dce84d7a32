"""What the user assumed before: roles per account and the last choices.

Feeds completion (roles assumed before) and the interactive pickers (last
choices first). Losing this file loses nothing important, so every read error
is treated as "no history".
"""

from __future__ import annotations

import json
import os
import tempfile

from assume_role import paths

MAX_ROLES_PER_ACCOUNT = 20


def _path():
    return paths.state_dir() / "history.json"


def load() -> dict:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def write_json_atomic(path, data) -> None:
    """Write a private JSON file so that readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
