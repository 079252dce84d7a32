"""The default backend: one private JSON file per entry.

Entries are trusted only if they are regular files this user owns and nobody
else can read (``state_files.read_text``); a damaged entry is ignored and
rebuilt. Writes are atomic (a temporary file renamed into place), so a reader
never sees half an entry. The cache is optional: a directory that cannot be
used or written (read-only, full, not ours) is one warning, and the session
just made is kept for this run only.
"""

from __future__ import annotations

import os

from assume_role.state import paths
from assume_role.state.files import (
    UnsafeFile,
    parse_json,
    private_directory,
    read_text,
    sweep_temporary,
    warn,
    warn_damaged,
    write_json_atomic,
)
from assume_role.state.store.backend import Backend

FORMAT = 1


def _sha256(data: bytes):
    """SHA-256 from CPython's built-in module where there is one: hashlib
    loads OpenSSL, a few milliseconds of every cache hit."""
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256(data)


class FileBackend(Backend):
    name = "file"

    def __init__(self, directory=None):
        self.directory = directory or paths.cache_dir()
        self._usable: bool | None = None

    def _ready(self) -> bool:
        """Create the directory 0700, or refuse it if others could get in."""
        if self._usable is None:
            self._usable = private_directory(self.directory)
            if self._usable:
                sweep_temporary(self.directory)
        return self._usable

    def _path(self, key: str):
        # Hashed names: keys hold profile and role names, which may contain '/'.
        digest = _sha256(key.encode()).hexdigest()[:32]
        return os.path.join(self.directory, f"{key.split('|')[0]}-{digest}.json")

    def _entry(self, path) -> dict | None:
        """The entry stored at ``path`` if it is sound; a warning otherwise."""
        try:
            text = read_text(path, ours=True, secret=True)
            entry = None if text is None else parse_json(text)
        except UnsafeFile as exc:
            warn(f"ignoring cache entry {path}: {exc}")
            return None
        if entry is not None and not (isinstance(entry, dict) and entry.get("format") == FORMAT):
            warn_damaged(path, "cache entry")
            return None
        return entry

    def read(self, key: str) -> dict | None:
        if not self._ready():
            return None
        path = self._path(key)
        entry = self._entry(path)
        if entry is None:
            return None
        data = entry.get("data")
        if entry.get("key") != key or not isinstance(data, dict):
            warn_damaged(path, "cache entry")
            return None
        return data

    def write(self, key: str, data: dict) -> None:
        if not self._ready():
            return
        try:
            write_json_atomic(self._path(key), {"format": FORMAT, "key": key, "data": data})
        except OSError as exc:
            warn(f"cannot keep sessions in {self.directory}: {exc.strerror or exc}; this one lasts for this run only")

    def delete(self, key: str) -> None:
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass
        except OSError as exc:
            warn(f"cannot delete from {self.directory}: {exc.strerror}")

    def keys(self) -> list[str]:
        if not self._ready():
            return []
        found = []
        # Only entries: the directory also holds lock files, temporary files and
        # the keyring backend's index.
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return []
        entries = [name for name in names if name.startswith(("mfa-", "role-")) and name.endswith(".json")]
        for path in (os.path.join(self.directory, name) for name in entries):
            entry = self._entry(path)
            key = entry.get("key") if entry else None
            if isinstance(key, str) and self._path(key) == path:
                found.append(key)
        return found

    def forget_leftovers(self) -> None:
        if self._ready():
            sweep_temporary(self.directory, older_than=0)

    def lock(self, key: str, waiting: str | None = None):
        # Imported here: a cache hit takes no lock.
        from assume_role.state.store.locking import exclusive

        if not self._ready():
            from contextlib import nullcontext

            return nullcontext()
        return exclusive(self._path(key)[: -len(".json")] + ".lock", waiting=waiting)

    def exports(self) -> dict[str, str]:
        return {}
