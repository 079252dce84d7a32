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

from pathlib import Path

from assume_role.accounts.table import (
    ACCOUNT_ID,
    MAX_BYTES,
    RESERVED_PREFIX,
    Account,
    Accounts,
    entry,
    id_of,
    is_reserved,
    load,
    read_table,
)
from assume_role.errors import UsageError
from assume_role.state import paths

# The file's vocabulary is read here by every user of the accounts file.
__all__ = [
    "ACCOUNT_ID", "MAX_BYTES", "RESERVED_PREFIX", "Account", "Accounts", "choices", "find", "id_of", "is_reserved",
    "load", "read_table",
]


def find(name: str, path: Path | None = None) -> Account:
    """The account ``name`` means: an alias of the file, else a literal 12-digit account id.

    Only the entry asked for is read (through the index of a large file). A
    12-digit id is known by the first alias that has it.
    """
    from assume_role.accounts import index as accounts_index

    path = path or paths.accounts_file()
    view = accounts_index.view(path)
    value = view.entry(name)
    if value is accounts_index.MISSING and ACCOUNT_ID.fullmatch(name):
        alias = view.alias_of_id(name)
        if alias is None:
            return Account(alias=name, id=name)
        name, value = alias, view.entry(alias)
    if value is not accounts_index.MISSING:
        return entry(path, name, value)
    raise UsageError(_unknown(name, view, path))


def _unknown(name: str, view: accounts_index.View, path: Path) -> str:
    """Why ``name`` is no account, and what was perhaps meant."""
    import json

    from assume_role.validate import printable

    if name.isascii() and name.isdigit():
        return f"account id {name!r} must have exactly 12 digits (it has {len(name)})"
    if not path.exists():
        return (
            f"unknown account alias {name!r}: there is no accounts file at {printable(str(path))}; create it with "
            f"`assume-role accounts sync --via ACCOUNT:ROLE`, or write it as JSON, like "
            f"{{{printable(json.dumps(name))}: \"123456789012\"}}, or pass a 12-digit account id"
        )
    starting, total = _starting_with(name, view)
    meant = [*starting, *(alias for alias in _close(name, view) if alias not in starting)][:3]
    if not meant:
        return f"unknown account alias {name!r}; add it to {printable(str(path))} or pass a 12-digit account id"
    more = f" ({total:,} aliases start with {name!r})" if total > len(starting) else ""
    return f"unknown account alias {name!r}; did you mean {', '.join(map(printable, meant))}{more}?"


def _starting_with(name: str, view: accounts_index.View) -> tuple[list[str], int]:
    """Up to 3 aliases that start with ``name`` ignoring case (``prod``: ``production``), and how many do."""
    from assume_role.accounts import index as accounts_index

    if not name:
        return [], 0
    found, total = view.sample(name, accounts_index.CASELESS, limit=4)  # by bisection in an index
    # CASELESS may hold a few more than a plain prefix ignoring case (see View.sample).
    starting = [alias for alias, _ in found if alias.casefold().startswith(name.casefold())]
    return starting[:3], total if len(starting) == len(found) else len(starting)


def _close(name: str, view: accounts_index.View) -> list[str]:
    """Aliases spelled about like ``name`` (a typo).

    Comparing with 100,000 would take seconds, so only with those of about
    the same length and the same start.
    """
    import difflib

    similar = [alias for alias, _ in view.pairs() if _alike(alias, name, 1)]
    if len(similar) > 5000:
        similar = [alias for alias in similar if _alike(alias, name, 3)]
    return difflib.get_close_matches(name, similar, n=3, cutoff=0.5)


def _alike(alias: str, name: str, start: int) -> bool:
    return abs(len(alias) - len(name)) <= 2 and alias[:start].casefold() == name[:start].casefold()


def setting(key: str, path: Path | None = None):
    """The raw value of a setting (a reserved key such as ``"#sso"``), or None; cheap for a large file too."""
    from assume_role.accounts import index as accounts_index

    return accounts_index.view(path).setting(key)


def choices(path: Path | None = None) -> accounts_index.View:
    """The accounts file as the pickers read it: one menu at a time (see accounts_index.View.ordered)."""
    from assume_role.accounts import index as accounts_index

    return accounts_index.view(path, whole=True)
