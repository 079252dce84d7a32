"""The accounts file: account aliases, their ids, and optional roles/region.

``~/.aws/accounts`` (or ``$ASSUME_ROLE_ACCOUNTS_FILE``) is a JSON object. A value
is either the account id as a string, as in the original tool::

    {"production": "123456789012"}

or an object that also lists the roles offered for completion and a default
region::

    {"production": {"id": "123456789012", "roles": ["read", "admin"], "region": "eu-west-1"}}

Keys starting with ``#`` are not aliases: they hold settings of the tool
(``"#sync"``, written by ``assume-role accounts sync``) and are skipped here.

This module imports nothing heavy: completion and prompts use it.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple
from pathlib import Path

from assume_role import paths
from assume_role.errors import UsageError

ACCOUNT_ID = re.compile(r"\d{12}")
# A key starting with this holds a setting, not an alias (no shell word starts with it unquoted).
RESERVED_PREFIX = "#"


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX)


# A NamedTuple rather than a dataclass: completion imports this module on
# every Tab, and dataclasses costs more to import than the rest of it.
class Account(NamedTuple):
    alias: str
    id: str
    roles: tuple[str, ...] = ()
    region: str | None = None


def read_table(path: Path | None = None) -> dict:
    """The accounts file's JSON object as it is; a missing file is empty.

    Completion reads only this (building an ``Account`` for each of 10,000
    aliases on every Tab would cost more than the rest of the run).
    """
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
    return data


def id_of(value: object) -> str | None:
    """The account id of an entry (string or object form), if it is a valid one.

    A JSON number would silently lose leading zeros, so only strings are ids.
    """
    account_id = value.get("id") if isinstance(value, dict) else value
    if isinstance(account_id, str) and ACCOUNT_ID.fullmatch(account_id):
        return account_id
    return None


def load(path: Path | None = None) -> dict[str, Account]:
    """Every entry of the accounts file, validated."""
    path = path or paths.accounts_file()
    return {
        alias: _entry(path, alias, value) for alias, value in read_table(path).items() if not is_reserved(alias)
    }


def _entry(path: Path, alias: str, value: object) -> Account:
    roles: list[str] = []
    region = None
    if isinstance(value, dict):
        roles = value.get("roles") or []
        region = value.get("region")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise UsageError(f"accounts file {path}: 'roles' of {alias!r} must be a list of strings")
        if region is not None and not isinstance(region, str):
            raise UsageError(f"accounts file {path}: 'region' of {alias!r} must be a string")
    account_id = id_of(value)
    if account_id is None:
        raise UsageError(
            f"accounts file {path}: the id of {alias!r} must be a string of 12 digits, like \"012345678901\""
        )
    return Account(alias=alias, id=account_id, roles=tuple(roles), region=region)


def find(name: str, path: Path | None = None) -> Account:
    """``resolve`` reading only the entry asked for (through the index of a large file)."""
    from assume_role import accounts_index

    path = path or paths.accounts_file()
    view = accounts_index.view(path)
    value = view.entry(name)
    if value is accounts_index.MISSING and ACCOUNT_ID.fullmatch(name):
        alias = view.alias_of_id(name)
        if alias is None:
            return Account(alias=name, id=name)
        name, value = alias, view.entry(alias)
    if value is not accounts_index.MISSING:
        return _entry(path, name, value)
    # Unknown: the error names close aliases. Comparing with 100,000 would take
    # seconds, so only with those of about the same length and the same start.
    similar = {a: Account(a, i) for a, i in view.pairs() if _alike(a, name, 1)}
    if len(similar) > 5000:
        similar = {a: account for a, account in similar.items() if _alike(a, name, 3)}
    return resolve(name, similar)


def _alike(alias: str, name: str, start: int) -> bool:
    return abs(len(alias) - len(name)) <= 2 and alias[:start].casefold() == name[:start].casefold()


def choices(path: Path | None = None) -> dict[str, Account]:
    """Alias to account (id only) of every usable entry, for pickers."""
    from assume_role import accounts_index

    return {alias: Account(alias, account_id) for alias, account_id in accounts_index.view(path).pairs()}


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
    import difflib

    close = difflib.get_close_matches(name, list(accounts), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else (
        f"; add it to {paths.accounts_file()} or pass a 12-digit account id"
    )
    raise UsageError(f"unknown account alias {name!r}{hint}")
