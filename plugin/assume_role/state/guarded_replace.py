"""Replacing a file that people and other programs edit too, without losing their edits.

The AWS config file is edited by hand and by other programs while this tool
merges profiles into it: ``aws configure set`` rewrites it in place, editors
and ``sed -i`` rename a new file over it. A read, a merge and a rename would
drop an edit made in between, with no backup holding it. So ``update``:

- puts the new file in place by exchanging two names in one step (Linux
  ``renameat2`` with ``RENAME_EXCHANGE``): the file it displaces is never
  deleted, only moved aside, and it must be the very file that was read,
  unchanged. If it is not, it goes back in place and the change is made
  again from what the file holds now.
- keeps the displaced file as the backup, under a name no other backup has
  (``NAME.DATE-TIME.bak``, then ``NAME.DATE-TIME-2.bak``...) taken with
  link(), which never replaces a file: every backup survives, and an edit
  written into the old file after all still lands in its backup.
- creates a file that did not exist with link() too, which fails if another
  program created it meanwhile.
- writes a symbolic link where it points (a dotfiles checkout), as the
  accounts writer does, and refuses a file it may not write (a read-only one).
- with ``keep_backup=False`` (a file that held secrets, such as the AWS
  credentials file once its keys moved to the keyring), deletes the
  displaced file instead, once it is known to be exactly the file that was
  read: nothing is lost, and no copy of the old text is left behind.

Where names cannot be exchanged (NFS, other systems) the displaced file is
linked aside just before an ordinary rename instead: only a file renamed into
place by another program in the microseconds between the two could be lost.
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from assume_role.errors import UsageError
from assume_role.validate import printable

# Another program changing the file this often in a row is not a person editing it.
ATTEMPTS = 5
BACKUP_SUFFIX = ".bak"
_TEMPORARY_SUFFIX = ".tmp"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# What renameat2 answers where the file system or the kernel cannot exchange.
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}


class Replaced(NamedTuple):
    path: Path  # the file written: where a symbolic link points
    backup: Path | None  # the previous version; None when there was no file


class _Snapshot(NamedTuple):
    data: bytes
    identity: tuple[int, int]  # st_dev, st_ino: the file, not only its content
    mode: int


class _Changed(Exception):
    """The file is not the one read any more: read it again."""


def update(path: Path, change: Callable[[str | None], str | None], *, limit: int,
           keep_backup: bool = True) -> Replaced | None:
    """Replace the file at ``path`` with ``change(its text)`` (None: there is no file).

    ``change`` returns the new text, or None to leave the file as it is (then
    None is returned). It is called again when the file changed meanwhile.
    ``keep_backup=False``: the previous version is deleted, not kept.
    Raises ``UsageError`` when the file may not be read or written.
    """
    for _ in range(ATTEMPTS):
        real = Path(os.path.realpath(path))
        snapshot = _read(real, limit)
        text = change(_decode(real, snapshot))
        if text is None:
            return None
        _check_writable(real, snapshot)
        try:
            return Replaced(real, _put(real, text.encode("utf-8"), snapshot, keep_backup))
        except _Changed:
            continue
    raise UsageError(f"{_shown(real)} kept changing while it was written; it was left as it was, run again")


def _shown(path: Path) -> str:
    return printable(str(path))


def _read(real: Path, limit: int) -> _Snapshot | None:
    """The file as it is now, if it is a regular file of this user's of sane size."""
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {_shown(real)}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{_shown(real)} is not a regular file; not changing it")
        if info.st_uid != os.geteuid():
            raise UsageError(f"{_shown(real)} belongs to another user; not changing it")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {_shown(real)}: {exc.strerror}") from None
    if len(data) > limit:
        raise UsageError(f"{_shown(real)} is larger than {limit} bytes; not changing it")
    return _Snapshot(data, (info.st_dev, info.st_ino), stat.S_IMODE(info.st_mode))


def _decode(real: Path, snapshot: _Snapshot | None) -> str | None:
    if snapshot is None:
        return None
    try:
        return snapshot.data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{_shown(real)} is not UTF-8 text; not changing it") from None


def _check_writable(real: Path, snapshot: _Snapshot | None) -> None:
    """Refuse before writing anything: a read-only file stays as it is, not replaced beside it."""
    if snapshot is not None and not os.access(real, os.W_OK):
        raise UsageError(f"{_shown(real)} is read-only; not changing it")
    try:
        real.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UsageError(f"cannot write {_shown(real)}: {exc.strerror}") from None
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise UsageError(f"{_shown(real.parent)} is read-only; not changing {_shown(real)}")


def _put(real: Path, data: bytes, snapshot: _Snapshot | None, keep_backup: bool = True) -> Path | None:
    """Put ``data`` in place of ``snapshot``; returns the backup (None: none kept). Raises ``_Changed``."""
    try:
        new, ours = _temporary(real, data, snapshot.mode & 0o666 if snapshot else 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {_shown(real)}: {exc.strerror}; it was left as it was") from None
    try:
        if snapshot is None:
            _create(new, real)
            return None
        return _swap(new, ours, real, snapshot, keep_backup)
    except OSError as exc:
        raise UsageError(f"cannot write {_shown(real)}: {exc.strerror}; it was left as it was") from None
    finally:
        _remove_if_ours(new, ours)
        _sync_directory(real.parent)


def _temporary(real: Path, data: bytes, mode: int) -> tuple[Path, _Snapshot]:
    import tempfile  # only writers pay for it

    fd, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=_TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before it is in place
            info = os.fstat(handle.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), _Snapshot(data, (info.st_dev, info.st_ino), mode)


def _create(new: Path, real: Path) -> None:
    try:
        os.link(new, real)
    except FileExistsError:
        raise _Changed from None  # created meanwhile: merge into it instead


def _swap(new: Path, ours: _Snapshot, real: Path, snapshot: _Snapshot, keep_backup: bool) -> Path | None:
    displaced = _exchange(new, real)
    if _holds(displaced, snapshot):
        if keep_backup:
            return _keep(displaced, real)
        os.unlink(displaced)  # the very text that was read, which the new file replaces
        return None
    # Changed since it was read: the changed file goes back in place.
    returned = _exchange(displaced, real)
    if _holds(returned, ours):
        os.unlink(returned)
        raise _Changed
    # Another program also changed ours in the instant it was in place
    # (replaced it, or wrote into it): neither of its two versions is lost.
    backup = _keep(returned, real)
    raise UsageError(
        f"{_shown(real)} was changed twice by another program while it was written; one of its versions "
        f"is in place, the other in {_shown(backup)}: check them, then run again"
    )


def _exchange(new: Path, real: Path) -> Path:
    """Swap ``new`` into ``real``'s place; returns the name the displaced file has now."""
    renameat2 = _renameat2()
    if renameat2 is not None:
        import ctypes

        if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(real), _RENAME_EXCHANGE) == 0:
            return new
        code = ctypes.get_errno()
        if code == errno.ENOENT:
            raise _Changed  # removed meanwhile
        if code not in _NO_EXCHANGE:
            raise OSError(code, os.strerror(code), str(real))
    try:
        aside = _link_new(real, _aside_names(real))
    except FileNotFoundError:
        raise _Changed from None
    try:
        os.replace(new, real)
    except OSError:
        os.unlink(aside)
        raise
    return aside


@functools.cache
def _renameat2():
    """libc's renameat2, or None where there is none (not Linux, an old libc)."""
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


def _holds(name: Path, snapshot: _Snapshot) -> bool:
    """Whether ``name`` is the file of ``snapshot``, with its content."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != snapshot.identity:
            return False
        return handle.read(len(snapshot.data) + 1) == snapshot.data


def _keep(displaced: Path, real: Path) -> Path:
    """The displaced file, under a backup name of its own."""
    try:
        backup = _link_new(displaced, _backup_names(real))
        os.unlink(displaced)
    except OSError as exc:
        raise UsageError(
            f"wrote {_shown(real)}, but cannot keep the previous version as a backup ({exc.strerror}): "
            f"it is {_shown(displaced)}"
        ) from None
    return backup


def _link_new(source: Path, names: Iterator[Path]) -> Path:
    """A new name for ``source``: the first of the endless ``names`` that is free (link() replaces nothing)."""
    while True:
        name = next(names)
        try:
            os.link(source, name, follow_symlinks=False)
            return name
        except FileExistsError:
            continue


def _backup_names(real: Path) -> Iterator[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    yield real.with_name(f"{real.name}.{stamp}{BACKUP_SUFFIX}")
    for number in itertools.count(2):
        yield real.with_name(f"{real.name}.{stamp}-{number}{BACKUP_SUFFIX}")


def _aside_names(real: Path) -> Iterator[Path]:
    while True:
        yield real.with_name(f".{real.name}.{os.urandom(6).hex()}{_TEMPORARY_SUFFIX}")


def _remove_if_ours(name: Path, ours: _Snapshot) -> None:
    """Remove our temporary file if it is still at ``name`` (after a swap it may hold another)."""
    try:
        if _holds(name, ours):
            os.unlink(name)
    except OSError:
        pass


def _sync_directory(directory: Path) -> None:
    """The renames themselves survive a crash."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
