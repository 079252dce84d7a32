"""The default backend: one private JSON file per entry.

Entries are trusted only if this user owns them and nobody else can read
them; a damaged entry is ignored and rebuilt. Writes are atomic (a temporary
file renamed into place), so a reader never sees half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from contextlib import contextmanager

from assume_role import paths
from assume_role.state_files import write_json_atomic
from assume_role.store import warn
from assume_role.store.locking import exclusive

FORMAT = 1


class FileBackend:
    name = "file"

    def __init__(self, directory=None):
        self.directory = directory or paths.cache_dir()
        self._usable: bool | None = None

    def _ready(self) -> bool:
        """Create the directory 0700, or refuse it if others could get in."""
        if self._usable is None:
            self._usable = _private_directory(self.directory)
        return self._usable

    def _path(self, key: str):
        # Hashed names: keys hold profile and role names, which may contain '/'.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return self.directory / f"{key.split('|')[0]}-{digest}.json"

    def read(self, key: str) -> dict | None:
        if not self._ready():
            return None
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except OSError as exc:
            warn(f"ignoring cache entry {path}: {exc.strerror}")
            return None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.geteuid():
                warn(f"refusing cache entry {path}: it belongs to another user")
                return None
            if info.st_mode & 0o077:
                warn(f"refusing cache entry {path}: others can read it (mode {stat.S_IMODE(info.st_mode):o})")
                return None
            try:
                entry = json.loads(handle.read())
            except ValueError:
                warn(f"ignoring damaged cache entry {path}; it will be rebuilt")
                return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
            warn(f"ignoring damaged cache entry {path}; it will be rebuilt")
            return None
        data = entry.get("data")
        return data if isinstance(data, dict) else None

    def write(self, key: str, data: dict) -> None:
        if not self._ready():
            return
        write_json_atomic(self._path(key), {"format": FORMAT, "key": key, "data": data})

    def delete(self, key: str) -> None:
        _unlink(self._path(key))

    def keys(self) -> list[str]:
        if not self._ready():
            return []
        found = []
        for path in self.directory.glob("*-*.json"):
            try:
                key = json.loads(path.read_text(encoding="utf-8")).get("key")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(key, str) and self._path(key) == path:
                found.append(key)
        return found

    @contextmanager
    def lock(self, key: str):
        if not self._ready():
            yield
            return
        with exclusive(self._path(key).with_suffix(".lock")):
            yield

    def exports(self) -> dict[str, str]:
        return {}


def _private_directory(directory) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.stat(directory, follow_symlinks=False)
    except OSError as exc:
        warn(f"not caching sessions: cannot create {directory}: {exc.strerror}")
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        warn(f"not caching sessions: {directory} is not a directory owned by you")
        return False
    if info.st_mode & 0o077:
        # Ours but too open (an old umask, a copied home): close it, don't trust it blindly.
        os.chmod(directory, 0o700)
    return True


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
