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
- a missing or unusable cache only makes things slower, never wrong. Damage
  (a disk error, a stray write) is found where it is read: each alias line
  carries its own checksum, checked whenever the line is read (the lines
  next to a bisection's answer too), and each section one, checked before
  the section is scanned whole and when a picker opens. A damaged index is
  one warning (none during Tab); the run goes on from the file itself and
  writes a new index.

Smaller files are parsed directly (a few milliseconds). Both cases answer
through the same ``View`` interface. Layout of an index file::

    header line (JSON, padded to HEADER_SIZE): stamp, the settings (reserved
                  keys), each section's place, count and checksum
    alias lines   "alias as JSON" TAB id-or-empty TAB entry as JSON TAB checksum, sorted
    id lines      id TAB "alias as JSON", sorted, the first alias of each id
    folded lines  "alias ignoring case, as JSON" TAB alias line number TAB id,
                  sorted: the picker's order, and case-insensitive prefixes
    offset tables, one per section: native uint32 each, for the bisection
"""

from __future__ import annotations

import json
import json.encoder
import mmap
import os
import re
import struct
import time
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from assume_role.accounts import table as entries
from assume_role.state import paths

INDEX_THRESHOLD = 256 * 1024  # bytes of accounts file; ~5,000 aliases
HEADER_SIZE = 512
FORMAT = 6  # 4: the folded section (picker order, case-insensitive prefixes); 5: checksums; 6: the settings
FRESH_SECONDS = 2.0  # a file younger than this is not indexed (see above)
SECTIONS = ("aliases", "ids", "folded")  # in file order; see the layout above
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
        return _first_and_last(sorted(ids.items()), limit)


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
    return _encode_utf8(alias.casefold()).encode("utf-8", "surrogatepass")


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
            self._folded = sorted(self.pairs(), key=lambda pair: (fold_key(pair[0]), _encode(pair[0])))
        return self._folded

    def sample(self, typed: str = "", match: str = PREFIX, *, limit: int | None) -> tuple[list[tuple[str, str]], int]:
        ordered = sorted(self.pairs()) if match == PREFIX else self._in_picker_order()
        return _first_and_last((pair for pair in ordered if selects(typed, match, pair[0])), limit)

    def ordered(self, contains: str = "", *, limit: int) -> tuple[list[tuple[str, str]], int]:
        found = [pair for pair in self._in_picker_order() if matches(contains, *pair)]
        return found[:limit], len(found)


# The last view made, by file, stamp and depth of checking: a run that reads
# a setting and an entry (the sign-in source, then the account) reads the file once.
_last: dict = {}


def view(path: Path | None = None, *, whole: bool = False) -> View:
    """The accounts file at ``path`` (default: the configured one) as a ``View``.

    ``whole``: every section of an index is checked now, for a caller that
    will read much of it and must not meet the damage later (a picker, whose
    menu a warning would garble).
    """
    path = path or paths.accounts_file()
    try:
        info = os.stat(path)
    except OSError:
        return TableView(entries.read_table(path))  # reports a missing or unreadable file its own way
    key = (str(path), *_stamp(path, info), whole)
    if key not in _last:
        found = _view(path, info, whole)
        _last.clear()
        _last[key] = found
    return _last[key]


def _view(path: Path, info: os.stat_result, whole: bool) -> View:
    if info.st_size < INDEX_THRESHOLD:
        return TableView(entries.read_table(path))
    index_path = _index_path(path)
    found = _open_index(index_path, path, info) if index_path else None
    if found is not None:
        if whole:
            found.check()
        return found
    table = entries.read_table(path)
    if index_path is not None:
        _build(index_path, path, info, table)
        # Answered from the new index at once: sorting 100,000 aliases for a
        # picker again here would cost as much as the build.
        found = _open_index(index_path, path, info)
    return found or TableView(table)


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
    records, first_alias = [], {}
    encode_entry = json.JSONEncoder(separators=(",", ":")).encode  # made once: 100,000 calls
    for alias, value in table.items():
        if entries.is_reserved(alias):
            continue
        encoded = _encode(alias)
        if isinstance(value, str):
            # The plain form (an id string) is most entries: checked and encoded the short way.
            account_id = value if entries.ACCOUNT_ID.fullmatch(value) else ""
            entry = _encode(value)
        else:
            account_id = entries.id_of(value) or ""
            entry = encode_entry(value)
        if account_id:
            first_alias.setdefault(account_id, encoded)
        fields = f"{encoded}\t{account_id}\t{entry}".encode("ascii")
        records.append((b"%s\t%08x\n" % (fields, zlib.crc32(fields)), alias, account_id))
    records.sort()  # by line: aliases are unique, so by alias
    alias_lines = [line for line, _, _ in records]
    id_lines = sorted(f"{i}\t{a}\n".encode("ascii") for i, a in first_alias.items())
    folded_lines = sorted(
        b"%s\t%08d\t%s\n" % (fold_key(alias), number, account_id.encode("ascii"))
        for number, (_, alias, account_id) in enumerate(records)
        if account_id
    )
    if len(records) >= 10**8:
        return  # line numbers are 8 digits; the accounts file's own bound is far below
    # The file's settings (reserved keys) ride in the header: they are few and small.
    settings = {key: value for key, value in table.items() if entries.is_reserved(key)}
    header: dict = {"format": FORMAT, "stamp": _stamp(path, before), "settings": settings}
    texts, tables, position = [], [], HEADER_SIZE
    for name, lines in zip(SECTIONS, (alias_lines, id_lines, folded_lines)):
        offsets = _offsets(lines, position)
        header[name] = [position, len(lines)]
        texts.append(b"".join(lines))
        tables.append(offsets)
        position += len(texts[-1])
    header["text_end"] = position
    padding = b"\n" * (-position % 4)  # the offset tables start 4-byte aligned
    position += len(padding)
    for name, text, offsets in zip(SECTIONS, texts, tables):
        header[name] += [position, zlib.crc32(offsets, zlib.crc32(text))]
        position += len(offsets)
    header_line = json.dumps(header).encode("utf-8")
    if len(header_line) >= HEADER_SIZE or position >= 2**32:
        return
    data = b"".join([header_line.ljust(HEADER_SIZE - 1), b"\n", *texts, padding, *tables])
    from assume_role.state.files import write_atomic  # here only: most runs read an index, never write one

    try:
        write_atomic(index_path, data, suffix=".idx")
    except OSError:
        return  # only a cache: the next run tries again
    _remove_older_indexes(index_path, header["stamp"][0])


def _remove_older_indexes(current: Path, real_path: str) -> None:
    """Delete other indexes of the same accounts file: older formats, or named another way.

    Each is as big as the file's aliases (10 MB for 100,000), and nothing
    would ever read them again. Indexes of other accounts files are kept.
    """
    for other in current.parent.glob("accounts-*.idx"):
        if other == current:
            continue
        try:
            fd = os.open(other, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                header = _header(fd)
            finally:
                os.close(fd)
            if header.get("stamp", [None])[0] == real_path:
                other.unlink()
        except (OSError, ValueError, TypeError, IndexError, KeyError):
            continue  # not an index this version can read: left alone


def _header(fd: int) -> dict:
    """An index file's header line, parsed; ValueError if it is not a JSON object."""
    header = json.loads(os.pread(fd, HEADER_SIZE, 0))
    if not isinstance(header, dict):
        raise ValueError("not an index header")
    return header


def _offsets(lines: list[bytes], start: int) -> bytes:
    offsets, position = [], start
    for line in lines:
        offsets.append(position)
        position += len(line)
    return struct.pack(f"{len(offsets)}I", *offsets)  # native, as memoryview.cast reads them


def _open_index(index_path: Path, path: Path, file_info: os.stat_result) -> IndexView | None:
    try:
        fd = os.open(index_path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or info.st_mode & 0o077 or info.st_size < HEADER_SIZE:
            return None
        header = _header(fd)
        if header.get("format") != FORMAT or header.get("stamp") != _stamp(path, file_info):
            return None
        _, count, offsets_at, _ = header[SECTIONS[-1]]
        if info.st_size != offsets_at + 4 * count:
            return None  # cut short: a crash mid-write, or a full disk
        data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        return IndexView(data, header, lambda: _replacement(index_path, path, file_info))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    finally:
        os.close(fd)


class Damaged(Exception):
    """The index does not hold what it was written with."""


# What reading a damaged index can raise: checks that failed, bytes that are
# not the JSON, text or numbers they should be, places outside the file.
_DAMAGE = (Damaged, ValueError, IndexError, KeyError, TypeError, OverflowError, struct.error)


def _replacement(index_path: Path, path: Path, info: os.stat_result) -> View:
    """The view that answers instead of a damaged index: the file itself, and a new index for the next runs."""
    from assume_role.state.files import warn_damaged

    warn_damaged(index_path, "accounts index")
    try:
        os.unlink(index_path)  # should the new one not be written, no later run meets this one
    except OSError:
        pass
    table = entries.read_table(path)
    _build(index_path, path, info, table)
    return TableView(table)


def _or_replaced(method):
    """``method`` of an IndexView, answered by its replacement once the index is found damaged."""
    name = method.__name__

    def guarded(self, *args, **kwargs):
        if self.replacement is None:
            try:
                return method(self, *args, **kwargs)
            except _DAMAGE:
                self.replacement = self.replace()
        return getattr(self.replacement, name)(*args, **kwargs)

    guarded.__name__, guarded.__doc__ = name, method.__doc__
    return guarded


class _Section:
    """One sorted section of the index: its lines, indexable by key for ``bisect``."""

    def __init__(self, data: mmap.mmap, start: int, end: int, offsets: memoryview, raw_offsets: memoryview,
                 checksum: int):
        self.data, self.start, self.end, self.offsets = data, start, end, offsets
        self.raw_offsets, self.checksum = raw_offsets, checksum
        self.checked = False

    def check(self) -> None:
        """Raise Damaged unless the section's text and offsets are as written (once per run)."""
        if not self.checked:
            text = memoryview(self.data)[self.start : self.end]
            if zlib.crc32(self.raw_offsets, zlib.crc32(text)) != self.checksum:
                raise Damaged("section checksum")
            self.checked = True

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, number: int) -> bytes:
        start = self.offsets[number]
        return self.data[start : self.data.find(b"\t", start)]

    def line(self, number: int) -> bytes:
        start = self.offsets[number]
        end = self.data.find(b"\n", start, self.end)
        # A line starts after a newline and ends inside its section.
        if not self.start <= start < end or self.data[start - 1] != 10:
            raise Damaged("line offset")
        return self.data[start:end]

    def range(self, key_prefix: bytes) -> range:
        """The numbers of the lines whose key starts with ``key_prefix``."""
        # 0xff follows every byte of UTF-8 text, so this bounds every continuation.
        return range(bisect_left(self, key_prefix), bisect_left(self, key_prefix + b"\xff"))

    def find(self, key: bytes) -> int | None:
        number = bisect_left(self, key)
        return number if number < len(self) and self[number] == key else None

    def scan(self, pattern: re.Pattern) -> list:
        """``pattern.findall`` over the section's text, each line preceded by its newline."""
        return pattern.findall(self.data, self.start - 1, self.end)


class IndexView(View):
    """Answers from the index file; once it is found damaged, from ``replace()``'s view instead."""

    def __init__(self, data: mmap.mmap, header: dict, replace: Callable[[], View]):
        self.data = data
        self.replace, self.replacement = replace, None
        memory = memoryview(data)
        # Each section's text ends where the next one starts.
        ends = [header[name][0] for name in SECTIONS[1:]] + [header["text_end"]]
        sections = {}
        for name, end in zip(SECTIONS, ends):
            start, count, offsets_at, checksum = header[name]
            raw = memory[offsets_at : offsets_at + 4 * count]
            sections[name] = _Section(data, start, end, raw.cast("I"), raw, checksum)
        # Alias lines: "alias as JSON" TAB id-or-empty TAB entry as JSON TAB
        # checksum (CRC-32 of what precedes it, 8 hex digits), sorted.
        self.aliases = sections["aliases"]
        # Id lines: id TAB "first alias with it, as JSON", sorted.
        self.ids = sections["ids"]
        # Folded lines: fold_key(alias) TAB alias line number (8 digits) TAB id,
        # for every alias with a valid id, sorted: picker order.
        self.folded = sections["folded"]
        self.settings = header.get("settings") if isinstance(header.get("settings"), dict) else {}

    @_or_replaced
    def check(self) -> None:
        """Check every section now (see ``view``)."""
        for section in (self.aliases, self.ids, self.folded):
            section.check()

    def setting(self, key: str):
        return self.settings.get(key)

    @_or_replaced
    def entry(self, alias: str):
        key = _encode(alias).encode("ascii")
        number = bisect_left(self.aliases, key)
        if number < len(self.aliases) and self.aliases[number] == key:
            return json.loads(self._alias_fields(number)[2])
        self._edges_read(self.aliases, range(number, number), self._alias_fields)
        return MISSING

    @_or_replaced
    def alias_of_id(self, account_id: str) -> str | None:
        number = self.ids.find(account_id.encode("ascii", "replace"))
        if number is None:
            self.ids.check()  # id lines carry no checksum of their own
            return None
        encoded = self.ids.line(number).split(b"\t", 1)[1]
        # The alias line is checked, the id line is not: the two must agree.
        line = self.aliases.find(encoded)
        if line is None or self._alias_fields(line)[1] != account_id.encode("ascii"):
            raise Damaged("id line")
        return _alias(encoded.decode("ascii"))

    @_or_replaced
    def pairs(self) -> Iterator[tuple[str, str]]:
        self.aliases.check()
        text = self.data[self.aliases.start - 1 : self.aliases.end].decode("ascii")
        # One pass in C; every pair is made here, where damage is caught.
        return iter([(_alias(encoded), account_id) for encoded, account_id in _WITH_ID.findall(text)])

    @_or_replaced
    def sample(self, typed: str = "", match: str = PREFIX, *, limit: int | None) -> tuple[list[tuple[str, str]], int]:
        if match == PREFIX:
            # A range of the sorted alias lines, found by bisection; lines
            # without a valid id are few, and counting them out is not worth a scan.
            numbers = self._edges_read(self.aliases, self.aliases.range(_encode(typed)[:-1].encode("ascii")),
                                       self._alias_fields)
            found = [pair for pair in map(self._alias_pair, _first_and_last(numbers, limit)[0]) if pair[1]]
            return found, len(numbers) if limit is not None and len(numbers) > limit else len(found)
        if match == CASELESS:
            numbers = self._edges_read(self.folded, self.folded.range(fold_key(typed)[:-1]), self._folded_pair)
            chosen, total = _first_and_last(numbers, limit)
            return [self._folded_pair(n) for n in chosen], total
        # LOOSE: the typed characters in order within the folded key, found
        # by one regex pass over the section; possessive steps never backtrack.
        self.folded.check()
        steps = b""
        for unit in _units(typed.casefold()):
            if len(unit) == 1:
                steps += b"[^%s\\t\\n]*+%s" % (re.escape(unit), re.escape(unit))
            else:
                steps += b"[^\\t\\n]*?" + re.escape(unit)
        numbers = self.folded.scan(re.compile(b'\n"' + steps + b"[^\\t\\n]*\\t(\\d{8})\\t"))
        chosen, total = _first_and_last(numbers, limit)
        return [self._alias_pair(int(n)) for n in chosen], total

    @_or_replaced
    def ordered(self, contains: str = "", *, limit: int) -> tuple[list[tuple[str, str]], int]:
        if not contains:
            return [self._folded_pair(n) for n in range(min(limit, len(self.folded)))], len(self.folded)
        self.folded.check()
        inside = re.escape(b"".join(_units(contains.casefold())))
        if contains.isdigit():
            pattern = b"\\n(?=[^\\t\\n]*?%s|[^\\t\\n]*\\t\\d{8}\\t%s)[^\\t\\n]*\\t(\\d{8})\\t" % (inside, inside)
        else:
            # Starting with the literal lets the regex engine skip ahead fast;
            # the rest keeps the match inside the key (keys hold no tab).
            pattern = inside + b"[^\\t\\n]*\\t(\\d{8})\\t"
        numbers = self.folded.scan(re.compile(pattern))
        return [self._alias_pair(int(n)) for n in numbers[:limit]], len(numbers)

    @_or_replaced
    def id_sample(self, typed: str, *, prefix: bool = False, limit: int) -> tuple[list[tuple[str, str]], int]:
        self.ids.check()
        if prefix or not typed.isdigit():
            numbers = self.ids.range(typed.encode("ascii", "replace"))
            chosen, _ = _first_and_last(numbers, limit)
            return [_split_id_line(self.ids.line(n)) for n in chosen], len(numbers)
        # The typed digits in order within the id (ids are exactly 12 digits).
        steps = b"".join(b"[^%c\\t\\n]*+%c" % (c, c) for c in typed.encode("ascii"))
        lines = self.ids.scan(re.compile(b"\\n(?=" + steps + b")(\\d{12}\\t[^\\n]*)"))
        return _first_and_last(map(_split_id_line, lines), limit)

    @staticmethod
    def _edges_read(section: _Section, numbers: range, read: Callable[[int], object]) -> range:
        """``numbers``, found by bisection, once the lines just outside it have been read and checked.

        A line whose key was damaged ends up, in a bisection, at an end of
        the range found or just outside it (all the others are in order), so
        the lines read there and in the range would show it.
        """
        for number in (numbers.start - 1, numbers.stop):
            if 0 <= number < len(section):
                read(number)
        return numbers

    def _alias_fields(self, number: int) -> list[bytes]:
        """The encoded alias, id and entry of an alias line, its checksum checked."""
        fields, checksum = self.aliases.line(number).rsplit(b"\t", 1)
        if zlib.crc32(fields) != int(checksum, 16):
            raise Damaged("alias line checksum")
        return fields.split(b"\t", 2)

    def _alias_pair(self, number: int) -> tuple[str, str]:
        encoded, account_id, _ = self._alias_fields(number)
        return _alias(encoded.decode("ascii")), account_id.decode("ascii")

    def _folded_pair(self, number: int) -> tuple[str, str]:
        key, line, _ = self.folded.line(number).split(b"\t", 2)
        pair = self._alias_pair(int(line))
        if fold_key(pair[0]) != key:  # the folded line is not checked itself: it must name its alias
            raise Damaged("folded line")
        return pair


# An alias line whose entry has a valid id: the encoded alias and the id.
_WITH_ID = re.compile(r'\n("[^\t\n]*")\t(\d{12})\t')
# JSON's own string encoders (C): every non-ASCII character escaped, or kept.
_encode = json.encoder.encode_basestring_ascii
_encode_utf8 = json.encoder.encode_basestring


def _units(text: str) -> list[bytes]:
    """Each character of ``text`` as it appears in a folded key: JSON-escaped, UTF-8."""
    return [_encode_utf8(ch)[1:-1].encode("utf-8", "surrogatepass") for ch in text]


def _alias(encoded: str) -> str:
    return encoded[1:-1] if "\\" not in encoded else json.loads(encoded)


def _split_id_line(line: bytes) -> tuple[str, str]:
    """(account id, alias) from an index line ``ID<TAB>encoded alias``."""
    account_id, encoded = line.split(b"\t", 1)
    return account_id.decode("ascii"), _alias(encoded.decode("ascii"))


def _first_and_last(items: Iterable, limit: int | None) -> tuple[list, int]:
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
