"""Fast look-ups in a large accounts file, through a private index kept in the cache.

Tab completion runs a fresh process on every key press and the main command
needs one entry: parsing a 100,000-alias file (5 MB of JSON) each time would
cost more than everything else together. Above ``INDEX_THRESHOLD`` bytes the
file is therefore read once into an index, and later runs binary-search it:

- ``$XDG_CACHE_HOME/assume-role/accounts-<hash of the file's path>.idx``,
  mode 0600 in the 0700 cache directory; an index owned by someone else or
  readable by others is never used;
- it records the file's device, inode, size, mtime and ctime, and is used
  only while they are all unchanged; anything else rebuilds it. A file
  changed in the last two seconds is read directly and not indexed, because
  a same-size edit within one timestamp tick would keep all five the same;
- it holds each entry's JSON exactly as the file has it, so interpreting an
  entry stays the job of ``assume_role.accounts``;
- a missing or unusable cache only makes things slower, never wrong.

Smaller files are parsed directly (a few milliseconds). Both cases answer
through the same ``View`` interface. Layout of an index file::

    header line (JSON, padded to HEADER_SIZE): stamp, section offsets, counts
    alias lines   "alias as JSON" TAB id-or-empty TAB entry as JSON, sorted
    id lines      id TAB "alias as JSON", sorted, the first alias of each id
    alias offsets, id offsets: native uint32 each, for the bisection
"""

from __future__ import annotations

import json
import json.encoder
import mmap
import os
import re
import struct
import time
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path

from assume_role import accounts, paths

INDEX_THRESHOLD = 256 * 1024  # bytes of accounts file; ~5,000 aliases
HEADER_SIZE = 512
FORMAT = 3  # 3: ids that are JSON numbers are indexed; ASCII digits only
FRESH_SECONDS = 2.0  # a file younger than this is not indexed (see above)
MISSING = object()


class View:
    """What completion, the pickers and the main command ask of the accounts file."""

    def entry(self, alias: str):
        """The raw JSON value of ``alias`` (never a reserved key), or MISSING."""
        raise NotImplementedError

    def alias_of_id(self, account_id: str) -> str | None:
        """The first alias in the file whose entry has this id."""
        raise NotImplementedError

    def pairs(self, typed: str = "", *, prefix: bool = False) -> Iterator[tuple[str, str]]:
        """(alias, id) of each entry with a valid id (file order, or sorted from an index).

        ``typed`` narrows them: to aliases starting with it when ``prefix``,
        else to those holding its characters in order, ignoring case (a
        superset of what the shells' own matching accepts).
        """
        raise NotImplementedError

    def sample(self, typed: str = "", *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        """At most ``limit`` of ``pairs(typed, prefix=prefix)``, and how many there are.

        When there are more, the sample is the first ``limit - 1`` and the
        last: in sorted order the common prefix of the first and the last is
        that of them all, so a shell inserts the same text for the sample as
        it would for every match.
        """
        return _first_and_last(self.pairs(typed, prefix=prefix), limit)


    def id_sample(self, typed: str, *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        """Like ``sample``, for account ids: (id, its first alias) sorted by id."""
        ids: dict[str, str] = {}
        for alias, account_id in self.pairs():
            if account_id.startswith(typed) or (not prefix and loose_match(typed, account_id)):
                ids.setdefault(account_id, alias)
        items = sorted(ids.items())
        if len(items) <= limit:
            return items, len(items)
        return [*items[: limit - 1], items[-1]], len(items)


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


class TableView(View):
    """A parsed accounts file (small files, or when no index can be kept)."""

    def __init__(self, table: dict):
        self.table = table

    def entry(self, alias: str):
        if accounts.is_reserved(alias):
            return MISSING
        return self.table.get(alias, MISSING)

    def alias_of_id(self, account_id: str) -> str | None:
        for alias, value in self.table.items():
            if not accounts.is_reserved(alias) and accounts.id_of(value) == account_id:
                return alias
        return None

    def pairs(self, typed: str = "", *, prefix: bool = False) -> Iterator[tuple[str, str]]:
        for alias in self.table:
            if accounts.is_reserved(alias):
                continue
            if typed and not (alias.startswith(typed) if prefix else loose_match(typed, alias)):
                continue
            account_id = accounts.id_of(self.table[alias])
            if account_id:
                yield alias, account_id


def view(path: Path | None = None) -> View:
    """The accounts file at ``path`` (default: the configured one) as a ``View``."""
    path = path or paths.accounts_file()
    try:
        info = os.stat(path)
    except OSError:
        return TableView(accounts.read_table(path))  # reports a missing or unreadable file its own way
    if info.st_size < INDEX_THRESHOLD:
        return TableView(accounts.read_table(path))
    index_path = _index_path(path)
    found = _open_index(index_path, _stamp(path, info)) if index_path else None
    if found is not None:
        return found
    table = accounts.read_table(path)
    if index_path is not None:
        _build(index_path, path, info, table)
    return TableView(table)


# -- the index file ----------------------------------------------------------------


def _stamp(path: Path, info: os.stat_result) -> list:
    return [os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _index_path(path: Path) -> Path | None:
    import zlib

    directory = paths.cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.stat(directory, follow_symlinks=False)
    except OSError:
        return None
    if info.st_uid != os.geteuid() or info.st_mode & 0o077 or not os.path.isdir(directory):
        return None
    # Only a name: the header records the real path (in the stamp), so two
    # files whose paths share a checksum merely rebuild each other's index.
    # A CRC costs nothing to import, where hashlib loads OpenSSL on every Tab.
    checksum = zlib.crc32(os.path.realpath(path).encode("utf-8", "surrogateescape"))
    return directory / f"accounts-{checksum:08x}.idx"


def _build(index_path: Path, path: Path, before: os.stat_result, table: dict) -> None:
    """Write the index of ``table``, unless the file changed meanwhile or is too fresh."""
    try:
        after = os.stat(path)
    except OSError:
        return
    if _stamp(path, after) != _stamp(path, before) or time.time() - after.st_mtime < FRESH_SECONDS:
        return
    alias_lines, first_alias = [], {}
    for alias, value in table.items():
        if accounts.is_reserved(alias):
            continue
        account_id = accounts.id_of(value) or ""
        encoded = _encode(alias)
        if account_id:
            first_alias.setdefault(account_id, encoded)
        # The plain form (an id string) is most entries: encoded without json.dumps's overhead.
        entry = _encode(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        alias_lines.append(f"{encoded}\t{account_id}\t{entry}\n".encode("ascii"))
    alias_lines.sort()
    id_lines = sorted(f"{i}\t{a}\n".encode("ascii") for i, a in first_alias.items())
    alias_blob, id_blob = b"".join(alias_lines), b"".join(id_lines)
    text_end = HEADER_SIZE + len(alias_blob) + len(id_blob)
    padding = b"\n" * (-text_end % 4)  # the offset tables start 4-byte aligned
    alias_offsets, id_offsets = _offsets(alias_lines, HEADER_SIZE), _offsets(id_lines, HEADER_SIZE + len(alias_blob))
    header = {
        "format": FORMAT,
        "stamp": _stamp(path, before),
        "aliases": [HEADER_SIZE, len(alias_lines)],
        "ids": [HEADER_SIZE + len(alias_blob), len(id_lines)],
        "alias_offsets": text_end + len(padding),
        "id_end": text_end,
    }
    header["id_offsets"] = header["alias_offsets"] + len(alias_offsets)
    header_line = json.dumps(header).encode("utf-8")
    if len(header_line) >= HEADER_SIZE or header["id_offsets"] + len(id_offsets) >= 2**32:
        return
    data = header_line.ljust(HEADER_SIZE - 1) + b"\n" + alias_blob + id_blob + padding + alias_offsets + id_offsets
    try:
        import tempfile  # here only: most runs read an index and never write one

        fd, tmp = tempfile.mkstemp(dir=index_path.parent, prefix=".tmp-accounts-", suffix=".idx")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())  # whole before it is renamed into place
            os.replace(tmp, index_path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # only a cache: the next run tries again


def _offsets(lines: list[bytes], start: int) -> bytes:
    offsets, position = [], start
    for line in lines:
        offsets.append(position)
        position += len(line)
    return struct.pack(f"{len(offsets)}I", *offsets)  # native, as memoryview.cast reads them


def _open_index(index_path: Path, stamp: list) -> IndexView | None:
    try:
        fd = os.open(index_path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o077 or info.st_size < HEADER_SIZE:
            return None
        header = json.loads(os.pread(fd, HEADER_SIZE, 0))
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("stamp") != stamp:
            return None
        if info.st_size != header["id_offsets"] + 4 * header["ids"][1]:
            return None  # cut short: a crash mid-write, or a full disk
        data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        return IndexView(data, header)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    finally:
        os.close(fd)


class _Keys:
    """The sorted keys of one section, indexable for ``bisect``."""

    def __init__(self, data: mmap.mmap, offsets: memoryview):
        self.data, self.offsets = data, offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, number: int) -> bytes:
        start = self.offsets[number]
        return self.data[start : self.data.find(b"\t", start)]

    def line(self, number: int) -> bytes:
        start = self.offsets[number]
        return self.data[start : self.data.find(b"\n", start)]


class IndexView(View):
    def __init__(self, data: mmap.mmap, header: dict):
        self.data = data
        (self.alias_start, alias_count), (self.id_start, id_count) = header["aliases"], header["ids"]
        offsets = memoryview(data)
        self.aliases = _Keys(data, offsets[header["alias_offsets"] : header["alias_offsets"] + 4 * alias_count].cast("I"))
        self.ids = _Keys(data, offsets[header["id_offsets"] : header["id_offsets"] + 4 * id_count].cast("I"))
        self.id_end = header["id_end"]

    @staticmethod
    def _find(keys: _Keys, key: bytes) -> int | None:
        number = bisect_left(keys, key)
        return number if number < len(keys) and keys[number] == key else None

    def entry(self, alias: str):
        number = self._find(self.aliases, json.dumps(alias).encode("ascii"))
        if number is None:
            return MISSING
        return json.loads(self.aliases.line(number).split(b"\t", 2)[2])

    def alias_of_id(self, account_id: str) -> str | None:
        number = self._find(self.ids, account_id.encode("ascii", "replace"))
        return None if number is None else json.loads(self.ids.line(number).split(b"\t", 1)[1])

    def pairs(self, typed: str = "", *, prefix: bool = False) -> Iterator[tuple[str, str]]:
        if typed and prefix:
            yield from self._prefixed(typed)
            return
        if typed and typed.isascii() and typed.isprintable() and '"' not in typed and "\\" not in typed:
            # Characters in order, ignoring case, within the alias part of a
            # line; each line starts after a newline, a literal the regex
            # engine finds fast, and possessive steps never backtrack. Run on
            # the mapped file itself: nothing is copied but the matches.
            steps = "".join(f"[^{re.escape(c)}\\t\\n]*+{re.escape(c)}" for c in typed).encode("ascii")
            pattern = re.compile(b'\n("' + steps + b'[^\\t\\n]*)\t(\\d{12})\t', re.I)
            for match in pattern.finditer(self.data, self.alias_start - 1, self.id_start):
                yield _alias(match.group(1).decode("ascii")), match.group(2).decode("ascii")
            return
        text = self.data[self.alias_start - 1 : self.id_start].decode("ascii")
        for encoded, account_id in _WITH_ID.findall(text):  # one pass in C, then only the matches
            alias = _alias(encoded)
            if not typed or loose_match(typed, alias):
                yield alias, account_id

    def sample(self, typed: str = "", *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        if typed and not prefix:
            return super().sample(typed, prefix=prefix, limit=limit)
        # A prefix (or nothing) is a range of the sorted lines: found by
        # bisection, sampled without reading the rest.
        start = json.dumps(typed)[:-1].encode("ascii")
        low = bisect_left(self.aliases, start)
        high = bisect_left(self.aliases, start + b"\x80")  # past every ASCII continuation
        numbers = range(low, high) if high - low <= limit else [*range(low, low + limit - 1), high - 1]
        found, total = [], 0
        for number in numbers:
            encoded, account_id, _ = self.aliases.line(number).split(b"\t", 2)
            if account_id:
                found.append((_alias(encoded.decode("ascii")), account_id.decode("ascii")))
        # Entries without a valid id are few; counting them out exactly is not worth a scan.
        total = high - low if high - low > limit else len(found)
        return found, total

    def id_sample(self, typed: str, *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        if prefix or not typed.isdigit():
            key = typed.encode("ascii", "replace")
            low, high = bisect_left(self.ids, key), bisect_left(self.ids, key + b"\x80")
            if high - low > limit:  # sampled like ``sample``; the count is exact
                found = [self._id_pair(n) for n in [*range(low, low + limit - 1), high - 1]]
                return found, high - low
            return [self._id_pair(n) for n in range(low, high)], high - low
        else:
            # The typed digits in order within the id (ids are exactly 12 digits).
            steps = b"".join(b"[^%c\\t\\n]*+%c" % (c, c) for c in typed.encode("ascii"))
            pattern = re.compile(b"\\n(?=" + steps + b")(\\d{12}\\t[^\\n]*)")
            lines = (m.group(1) for m in pattern.finditer(self.data, self.id_start - 1, self.id_end))
        pairs = (_split_id_line(line) for line in lines)
        return _first_and_last(pairs, limit)

    def _id_pair(self, number: int) -> tuple[str, str]:
        return _split_id_line(self.ids.line(number))

    def _prefixed(self, typed: str) -> Iterator[tuple[str, str]]:
        start = json.dumps(typed)[:-1].encode("ascii")  # the opening quote and the escaped prefix
        number = bisect_left(self.aliases, start)
        while number < len(self.aliases):
            line = self.aliases.line(number)
            if not line.startswith(start):
                return
            encoded, account_id, _ = line.split(b"\t", 2)
            if account_id:
                yield _alias(encoded.decode("ascii")), account_id.decode("ascii")
            number += 1


# An alias line whose entry has a valid id: the encoded alias and the id.
_WITH_ID = re.compile(r'\n("[^\t\n]*")\t(\d{12})\t')
# JSON's own string encoder (C), with every non-ASCII character escaped.
_encode = json.encoder.encode_basestring_ascii


def _alias(encoded: str) -> str:
    return encoded[1:-1] if "\\" not in encoded else json.loads(encoded)


def _split_id_line(line: bytes) -> tuple[str, str]:
    """(account id, alias) from an index line ``ID<TAB>encoded alias``."""
    account_id, encoded = line.split(b"\t", 1)
    return account_id.decode("ascii"), _alias(encoded.decode("ascii"))


def _first_and_last(pairs, limit: int) -> tuple[list[tuple[str, str]], int]:
    """The first ``limit - 1`` pairs and the last one, and how many there were."""
    found, total, last = [], 0, None
    for pair in pairs:
        total += 1
        if total < limit:
            found.append(pair)
        else:
            last = pair
    if last is not None:
        found.append(last)
    return found, total
