"""The accounts file: account aliases, their ids, and optional roles/region.

``~/.aws/accounts`` (or ``$ASSUME_ROLE_ACCOUNTS_FILE``) is a JSON object. A value
is either the account id as a string, as in the original tool::

    {"production": "123456789012"}

or an object that also lists the roles offered for completion and a default
region::

    {"production": {"id": "123456789012", "roles": ["read", "admin"], "region": "eu-west-1"}}

This module imports nothing heavy: completion and prompts use it.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from assume_role import paths
from assume_role.errors import UsageError

ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Account:
    alias: str
    id: str
    roles: tuple[str, ...] = field(default=())
    region: str | None = None


def load(path: Path | None = None) -> dict[str, Account]:
    """Read the accounts file; a missing file is an empty mapping."""
    path = path or paths.accounts_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read accounts file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"accounts file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"accounts file {path} must hold a JSON object of alias to account id")
    return {alias: _entry(path, alias, value) for alias, value in data.items()}


def _entry(path: Path, alias: str, value: object) -> Account:
    roles: list[str] = []
    region = None
    if isinstance(value, dict):
        account_id = value.get("id")
        roles = value.get("roles") or []
        region = value.get("region")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise UsageError(f"accounts file {path}: 'roles' of {alias!r} must be a list of strings")
        if region is not None and not isinstance(region, str):
            raise UsageError(f"accounts file {path}: 'region' of {alias!r} must be a string")
    else:
        account_id = value
    # A JSON number would silently lose leading zeros, so only strings are ids.
    if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
        raise UsageError(
            f"accounts file {path}: the id of {alias!r} must be a string of 12 digits, like \"012345678901\""
        )
    return Account(alias=alias, id=account_id, roles=tuple(roles), region=region)


def resolve(name: str, accounts: dict[str, Account]) -> Account:
    """An alias from the file, else a literal 12-digit account id."""
    if name in accounts:
        return accounts[name]
    if ACCOUNT_ID.fullmatch(name):
        for account in accounts.values():
            if account.id == name:
                return account
        return Account(alias=name, id=name)
    if name.isdigit():
        raise UsageError(f"account id {name!r} must have exactly 12 digits (it has {len(name)})")
    close = difflib.get_close_matches(name, list(accounts), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else (
        f"; add it to {paths.accounts_file()} or pass a 12-digit account id"
    )
    raise UsageError(f"unknown account alias {name!r}{hint}")
