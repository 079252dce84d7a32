"""What the accounts file answers, however it is read.

``View`` is what completion, the pickers and the main command ask of the
file; ``TableView`` answers from the parsed file, and an index
(``assume_role.accounts.index``) answers the same questions for a large one
without parsing it. ``assume_role.accounts.view`` picks between them.

This module imports nothing heavy: every run that reads the file loads it,
and a run on a small file loads nothing else of the accounts package.
"""

from __future__ import annotations

import os

from assume_role import lean_json
from assume_role.accounts import table as entries

# Type names for annotations only: collections.abc would be imported on every cache hit.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

# Bytes of accounts file (about 5,000 aliases) from which it is read through an index.
INDEX_THRESHOLD = 256 * 1024
MISSING = object()

# How typed text selects aliases, from strictest to loosest (see View.sample).
PREFIX = "prefix"  # the alias starts with it
CASELESS = "caseless"  # the alias starts with it, ignoring case
LOOSE = "loose"  # the alias holds its characters in order, ignoring case


class View:
    """What completion, the pickers and the main command ask of the accounts file.

    Only entries with a valid account id are ever offered (``pairs``,
    ``sample``, ``ordered``); ``entry`` answers for any alias, so that the
    main command can say what is wrong with a bad one.
    """

    def check(self) -> None:
        """Make sure now that later answers come from sound data (only an index can be damaged)."""

    def entry(self, alias: str):
        """The raw JSON value of ``alias`` (never a reserved key), or MISSING."""
        raise NotImplementedError

    def setting(self, key: str):
        """The raw JSON value of the reserved key ``key`` (``"#sso"``), or None."""
        raise NotImplementedError

    def alias_of_id(self, account_id: str) -> str | None:
        """The first alias in the file whose entry has this id."""
        raise NotImplementedError

    def pairs(self) -> Iterator[tuple[str, str]]:
        """(alias, id) of every entry with a valid id."""
        raise NotImplementedError

    def sample(self, typed: str = "", match: str = PREFIX, *, limit: int | None) -> tuple[list[tuple[str, str]], int]:
        """At most ``limit`` (alias, id) pairs that ``typed`` selects under ``match``, and how many there are.

        PREFIX answers in sorted order; when there are more than ``limit``,
        the sample is the first ``limit - 1`` and the last: the common prefix
        of the first and the last is that of them all, so a shell inserts the
        same text for the sample as it would for every match. CASELESS and
        LOOSE answer in picker order (see ``ordered``) and may include a few
        more than their rule accepts, never fewer: the shell decides.
        """
        raise NotImplementedError

    def ordered(self, contains: str = "", *, limit: int) -> tuple[list[tuple[str, str]], int]:
        """The picker's list: the first ``limit`` pairs in picker order that ``contains`` selects, and how many.

        Picker order is by alias ignoring case (``fold_key``). An alias is
        selected when it holds ``contains`` ignoring case or, for digits, when
        its account id starts with them: ``matches`` is the rule.
        """
        raise NotImplementedError

    def id_sample(self, typed: str, *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        """Like ``sample``, for account ids: (id, its first alias) sorted by id."""
        ids: dict[str, str] = {}
        for alias, account_id in self.pairs():
            if account_id.startswith(typed) or (not prefix and loose_match(typed, account_id)):
                ids.setdefault(account_id, alias)
        return first_and_last(sorted(ids.items()), limit)


def loose_match(typed: str, value: str) -> bool:
    """Whether ``value`` may match ``typed`` under a shell's or picker's matching rules.

    zsh's matcher-list (case-insensitive, substring, partial words) and fish's
    fuzzy matching all accept only values that hold the typed characters in
    order, ignoring case. Dropping the others early spares the shell from
    sorting through thousands of aliases, and the shell still decides.
    """
    typed, value = typed.casefold(), value.casefold()
    if typed in value:
        return True
    rest = iter(value)
    return all(ch in rest for ch in typed)


def matches(contains: str, alias: str, account_id: str) -> bool:
    """The picker's rule: the alias holds ``contains`` ignoring case, or the id starts with its digits."""
    return contains.casefold() in alias.casefold() or (contains.isdigit() and account_id.startswith(contains))


def selects(typed: str, match: str, alias: str) -> bool:
    """Whether ``typed`` selects ``alias`` under ``match`` (PREFIX, CASELESS or LOOSE)."""
    if match == PREFIX:
        return alias.startswith(typed)
    if match == CASELESS:
        return alias.casefold().startswith(typed.casefold())
    return loose_match(typed, alias)


def fold_key(alias: str) -> bytes:
    """The picker's sort key: the alias ignoring case, as the index stores it (JSON text, UTF-8)."""
    return encode_utf8(alias.casefold()).encode("utf-8", "surrogatepass")


class TableView(View):
    """A parsed accounts file (small files, or when no index can be kept)."""

    def __init__(self, table: dict):
        self.table = table
        self._folded: list[tuple[str, str]] | None = None

    def entry(self, alias: str):
        if entries.is_reserved(alias):
            return MISSING
        return self.table.get(alias, MISSING)

    def setting(self, key: str):
        return self.table.get(key) if entries.is_reserved(key) else None

    def alias_of_id(self, account_id: str) -> str | None:
        for alias, value in self.table.items():
            if not entries.is_reserved(alias) and entries.id_of(value) == account_id:
                return alias
        return None

    def pairs(self) -> Iterator[tuple[str, str]]:
        for alias, value in self.table.items():
            if entries.is_reserved(alias):
                continue
            account_id = entries.id_of(value)
            if account_id:
                yield alias, account_id

    def _in_picker_order(self) -> list[tuple[str, str]]:
        if self._folded is None:
            self._folded = sorted(self.pairs(), key=lambda pair: (fold_key(pair[0]), encode(pair[0])))
        return self._folded

    def sample(self, typed: str = "", match: str = PREFIX, *, limit: int | None) -> tuple[list[tuple[str, str]], int]:
        ordered = sorted(self.pairs()) if match == PREFIX else self._in_picker_order()
        return first_and_last((pair for pair in ordered if selects(typed, match, pair[0])), limit)

    def ordered(self, contains: str = "", *, limit: int) -> tuple[list[tuple[str, str]], int]:
        found = [pair for pair in self._in_picker_order() if matches(contains, *pair)]
        return found[:limit], len(found)


def stamp(path: str, info: os.stat_result) -> list:
    return [os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]



# JSON's own string encoders (C): every non-ASCII character escaped, or kept.
encode = lean_json.encode_string_ascii
encode_utf8 = lean_json.encode_string


def first_and_last(items: Iterable, limit: int | None) -> tuple[list, int]:
    """The first ``limit - 1`` items and the last one (all when ``limit`` is None), and how many there were."""
    if limit is None:
        found = list(items)
        return found, len(found)
    if isinstance(items, (list, range)):
        return (list(items) if len(items) <= limit else [*items[: limit - 1], items[-1]]), len(items)
    found, total, last = [], 0, None
    for item in items:
        total += 1
        if total < limit:
            found.append(item)
        else:
            last = item
    if last is not None:
        found.append(last)
    return found, total
