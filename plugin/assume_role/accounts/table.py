"""The accounts file's table: reading it, and checking each entry.

The file's format is described in ``assume_role.accounts``. This module
imports nothing heavy: completion reads every entry through ``id_of``.
"""

from __future__ import annotations


from assume_role.record import record
from assume_role import validate
from assume_role.state import paths
from assume_role.errors import UsageError

_DIGITS = frozenset("0123456789")


def is_account_id(value: str) -> bool:
    """Twelve ASCII digits (str.isdigit takes Arabic-Indic and other digits too)."""
    return len(value) == 12 and _DIGITS.issuperset(value)

# A key starting with this holds a setting, not an alias (no shell word starts with it unquoted).
RESERVED_PREFIX = "#"


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX)


# The accounts file may be far larger than the tool's other files: 100,000
# aliases with roles and a region take about 10 MB (see accounts_index).
MAX_BYTES = 32 * 1024 * 1024


# A record rather than typing.NamedTuple or a dataclass: completion and a
# cache hit import this module, and typing or dataclasses cost more to
# import than the rest of it. The annotations only document the fields' types.
class Account(record("Account", ["alias", "id", "roles", "region"], defaults=((), None))):
    __slots__ = ()
    alias: str
    id: str
    roles: tuple[str, ...]
    region: str | None


def read_table(path: str | None = None) -> dict:
    """The accounts file's JSON object as it is; a missing file is empty.

    Completion reads only this (building an ``Account`` for each of 10,000
    aliases on every Tab would cost more than the rest of the run).
    """
    from assume_role.state.files import UnsafeFile, parse_json, read_text

    path = path or paths.accounts_file()
    try:
        # The user's own configuration, so a symbolic link (a dotfiles
        # checkout) is followed; a FIFO, a device or a huge file is refused.
        text = read_text(path, limit=MAX_BYTES)
        if text is None:
            return {}
        data = parse_json(text)
    except UnsafeFile as exc:
        raise UsageError(f"cannot use accounts file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"accounts file {path} must hold a JSON object of alias to account id")
    return data


def id_of(value: object) -> str | None:
    """The account id of a usable entry (string or object form), else None.

    Completion reads entries through this alone, so an entry that ``load``
    would refuse (bad roles or region too) gives None here as well.

    The id is a string of 12 digits, so that leading zeros survive. A JSON
    number is accepted too (the original tool's files have them) when it has
    exactly 12 digits: a shorter one has lost its leading zeros, and which
    account it meant cannot be known.
    """
    if isinstance(value, dict) and _shape_problem(value) is not None:
        return None
    account_id = value.get("id") if isinstance(value, dict) else value
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        account_id = str(account_id)
    if isinstance(account_id, str) and is_account_id(account_id):
        return account_id
    return None


class Accounts(dict):
    """The usable entries (alias to ``Account``) and why the others are not.

    A bad entry must not cost the user the other accounts: it is an error
    only when it is the one asked for, and lists and completion skip it.
    """

    def __init__(self, entries=(), problems: dict[str, str] | None = None):
        super().__init__(entries)
        self.problems: dict[str, str] = problems or {}


def load(path: str | None = None) -> Accounts:
    """Every valid entry of the accounts file; the invalid ones as problems."""
    path = path or paths.accounts_file()
    found = Accounts()
    for alias, value in read_table(path).items():
        if is_reserved(alias):
            continue
        try:
            found[alias] = entry(path, alias, value)
        except UsageError as exc:
            found.problems[alias] = str(exc)
    return found


def _shape_problem(value: dict) -> str | None:
    """What is wrong with an object entry's roles or region, if anything."""
    roles = value.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        return "'roles' of {alias!r} must be a list of strings"
    region = value.get("region")
    if region is not None and not (isinstance(region, str) and validate.is_region(region)):
        return "'region' of {alias!r} must be a region code such as us-east-1"
    return None


def entry(path: str, alias: str, value: object) -> Account:
    roles: list[str] = []
    region = None
    if isinstance(value, dict):
        problem = _shape_problem(value)
        if problem:
            raise UsageError(f"accounts file {path}: " + problem.format(alias=alias))
        roles = value.get("roles") or []
        region = value.get("region")
    account_id = id_of(value)
    if account_id is None:
        raise UsageError(f"accounts file {path}: {_id_problem(alias, value)}")
    return Account(alias, account_id, tuple(roles), region)  # by position: the quick way, 100,000 times


def _id_problem(alias: str, value: object) -> str:
    raw = value.get("id") if isinstance(value, dict) else value
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**11:
        return (
            f"the id of {alias!r} is the number {raw}, which has only {len(str(raw))} digits: "
            f"a JSON number cannot keep leading zeros; write the id as a string of 12 digits "
            f"(perhaps \"{str(raw).zfill(12)}\")"
        )
    return f"the id of {alias!r} must be a string of 12 digits, like \"012345678901\""
