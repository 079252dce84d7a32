"""Merging an AWS Organization's account list into the accounts file's table.

Pure data in, data out (no AWS, no files), so every rule of ``accounts sync``
is in one place and can be read at once:

- a new active account gets an alias made from its Name: lowercase, accents
  dropped, anything but letters and digits turned into ``-``; a name already
  taken (any case), a subcommand's name or a bare number gets a ``-2``,
  ``-3``... suffix or an ``account-`` prefix;
- an account that some alias already reaches gets no second alias, and every
  existing entry is kept exactly as it is;
- an entry the sync made carries the account's Name under ``"org"``; if the
  account is no longer listed it has left the organisation;
- aliases of suspended (closed) accounts and of accounts that left are
  reported, and removed only when pruning. Hand-made aliases of accounts the
  organisation never listed are not the sync's business and stay.

The IAM Identity Center sync (``accounts sync --sso``) follows the same
rules with the person's assigned accounts, marks its entries ``"sso"``
instead of ``"org"``, and also gives every listed account its permission
sets as ``roles``: an entry the sync made gets the current list, a
hand-made one keeps its own roles and gains the missing ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from assume_role.accounts import id_of, is_reserved

SYNC_KEY = "#sync"  # the accounts file's entry remembering how to sync (see accounts.RESERVED_PREFIX)
ORG_FIELD = "org"  # in an entry: the account's Name in the organisation, marks entries the sync made
SSO_FIELD = "sso"  # the same, for entries made from IAM Identity Center's account list
ACTIVE = "ACTIVE"
MAX_ALIAS = 64
# How far a listing is followed: as far as the accounts file is made to go
# (100,000 aliases, see accounts_index). A page holds at most 20 accounts and
# AWS may send fewer, so twice the 5,000 full pages leaves room for short ones.


class OrgAccount(NamedTuple):
    id: str
    name: str
    status: str  # ACTIVE, SUSPENDED or PENDING_CLOSURE


class Change(NamedTuple):
    alias: str
    id: str
    name: str = ""


class Plan(NamedTuple):
    table: dict  # the accounts file's new object
    added: list[Change]
    suspended: list[Change]  # aliases of accounts the organisation lists as not active
    left: list[Change]  # aliases the sync made for accounts no longer listed
    removed: list[Change]  # of the two above, those pruned
    updated: list[Change] = []  # existing aliases whose roles changed (name: the roles, comma-separated)


def slug(name: str) -> str:
    """``Production EU (old)`` -> ``production-eu-old``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_ALIAS].strip("-")


def new_alias(name: str, account_id: str, taken: set[str], forbidden: Iterable[str]) -> str:
    """A fresh alias for the account ``name``; ``taken`` holds casefolded aliases in use."""
    return Aliases(set(taken), forbidden).new(name, account_id)


class Aliases:
    """Fresh aliases for many accounts at once, each in constant time.

    An organisation may have 100,000 accounts, many sharing a name ("Sandbox"):
    trying ``-2``, ``-3``... from the start for each one, or copying the set of
    aliases in use for each one, would take minutes. The aliases given are the
    same as trying from ``-2`` every time: ``taken`` only grows, so a suffix
    found taken for a base stays taken, and the next try starts after it.
    """

    def __init__(self, taken: set[str], forbidden: Iterable[str]):
        self.taken = taken  # casefolded; the caller's set, added to as aliases are given
        self.forbidden = {word.casefold() for word in forbidden}
        self.last_number: dict[str, int] = {}  # per base: the suffix it last gave (1: none, the base itself)

    def new(self, name: str, account_id: str) -> str:
        base = slug(name) or f"account-{account_id}"
        if base.isdigit():
            # A bare number would read as an account id on the command line.
            base = f"account-{base}"
        alias, number = base, self.last_number.get(base, 1)
        if number > 1:
            alias = _numbered(base, number)
        while self._blocked(alias):
            number += 1
            alias = _numbered(base, number)
        self.last_number[base] = number
        self.taken.add(alias.casefold())
        return alias

    def _blocked(self, alias: str) -> bool:
        folded = alias.casefold()
        return folded in self.taken or folded in self.forbidden


def _numbered(base: str, number: int) -> str:
    return f"{base[: MAX_ALIAS - len(str(number)) - 1]}-{number}"


def plan(table: dict, listed: Iterable[OrgAccount], *, prune: bool, forbidden: Iterable[str],
         marker: str = ORG_FIELD, roles: dict[str, list[str]] | None = None) -> Plan:
    """What syncing ``listed`` into ``table`` does; ``table`` itself is left alone.

    ``marker``: the field marking the entries this kind of sync made.
    ``roles``: account id -> roles to give it (the IAM Identity Center sync).
    """
    listed = sorted(listed, key=lambda a: (a.name, a.id))
    status_of = {account.id: account.status for account in listed}
    result = dict(table)
    reached = {id_of(value) for alias, value in table.items() if not is_reserved(alias)}
    aliases = Aliases({alias.casefold() for alias in table}, forbidden)

    added = []
    for account in listed:
        if account.status != ACTIVE or account.id in reached:
            continue
        alias = aliases.new(account.name, account.id)
        result[alias] = {"id": account.id, marker: account.name}
        if roles is not None and roles.get(account.id):
            result[alias]["roles"] = list(roles[account.id])
        reached.add(account.id)
        added.append(Change(alias, account.id, account.name))

    suspended, left = [], []
    for alias, value in table.items():
        account_id = id_of(value)
        if is_reserved(alias) or account_id is None:
            continue
        name = value.get(marker, "") if isinstance(value, dict) else ""
        status = status_of.get(account_id)
        if status is not None and status != ACTIVE:
            suspended.append(Change(alias, account_id, str(name)))
        elif status is None and isinstance(value, dict) and marker in value:
            left.append(Change(alias, account_id, str(name)))

    updated = _with_roles(result, table, roles, marker) if roles is not None else []
    removed = suspended + left if prune else []
    for change in removed:
        del result[change.alias]
    return Plan(result, added, suspended, left, removed, updated)


def _with_roles(result: dict, table: dict, roles: dict[str, list[str]], marker: str) -> list[Change]:
    """Give existing entries of listed accounts their roles; the changes made."""
    updated = []
    for alias, value in table.items():
        account_id = id_of(value)
        if is_reserved(alias) or account_id is None or account_id not in roles:
            continue
        entry = dict(value) if isinstance(value, dict) else {"id": value}
        own = [role for role in entry.get("roles") or [] if isinstance(role, str)]
        # The sync's own entries hold what is assigned now; hand-made roles stay.
        wanted = list(roles[account_id]) if marker in entry else own + [r for r in roles[account_id] if r not in own]
        if wanted == own:
            continue
        entry["roles"] = wanted
        result[alias] = entry
        updated.append(Change(alias, account_id, ",".join(wanted)))
    return updated
