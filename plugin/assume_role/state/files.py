"""Every file the tool reads, and the small private files it keeps.

Everything on disk is hostile until checked, so there is one way to read a
file (``read_text``): it must be a regular file (a FIFO would block, a device
such as ``/dev/zero`` would never end), of bounded size and UTF-8 text. The
tool's own files must also not be symbolic links, must belong to this user and
be writable by nobody else; files holding secrets (cache entries, the SAML
password file) must be readable by nobody else. ``parse_json`` bounds the
nesting. ``check_foreign`` applies the same rules to files botocore reads.

The tool's own files (cache entries, history, remembered devices, indexes)
only save work, so a broken one never stops a command: ``load_optional``
turns it into a single warning and an empty value, and ``warn`` prints each
warning once per run. Writes are atomic and private; a temporary file left by
a killed run is swept once it is stale.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
import time
from pathlib import Path

from assume_role.validate import printable

# Far above any real file (10,000 accounts are about 1 MiB), far below harm.
MAX_BYTES = 8 * 1024 * 1024
TEMPORARY_PREFIX = ".tmp-"
# A write takes milliseconds; a temporary file this old was left by a killed run.
STALE_TEMPORARY_SECONDS = 60

_warned: set[str] = set()
# Completion turns warnings off: a message in the middle of a command line garbles it.
warnings_enabled = True


class UnsafeFile(Exception):
    """A file that must not be used; ``str()`` says why, e.g. "it is a FIFO, not a regular file"."""

    def __init__(self, reason: str, *, mode: bool = False):
        super().__init__(reason)
        self.mode = mode  # the reason is its mode: chmod would fix it


def warn(message: str) -> None:
    """One line on stderr, once per run however often the same problem is met."""
    if message in _warned or not warnings_enabled:
        return
    _warned.add(message)
    print(f"assume-role: warning: {printable(message)}", file=sys.stderr)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def _check(info: os.stat_result, owned: bool, secret: bool) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFile(f"it is {_kind(info.st_mode)}, not a regular file")
    if owned and info.st_uid != os.geteuid():
        raise UnsafeFile(f"it belongs to another user (uid {info.st_uid})")
    if owned and info.st_mode & 0o022:
        raise UnsafeFile(f"others can change it (mode {stat.S_IMODE(info.st_mode):o})", mode=True)
    if secret and info.st_mode & 0o077:
        raise UnsafeFile(f"others can read it (mode {stat.S_IMODE(info.st_mode):o})", mode=True)


def read_text(
    path: Path, *, ours: bool = False, owned: bool = False, secret: bool = False, limit: int = MAX_BYTES
) -> str | None:
    """The text of the file at ``path``, or None if there is none.

    ``ours``: a file the tool wrote in its own directory, so a symbolic link
    is refused, and it is ``owned``: it must belong to this user and nobody
    else may change it. ``secret``: nobody else may read it either. A file of
    the user's own configuration may be a symbolic link (a dotfiles checkout):
    what it points to is checked. Raises ``UnsafeFile`` with the reason.
    """
    owned = owned or ours
    try:
        # Refuse FIFOs and devices before opening: opening one can block or act.
        _check(os.stat(path, follow_symlinks=not ours), owned, secret)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (os.O_NOFOLLOW if ours else 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP and ours:
            raise UnsafeFile("it is a symbolic link, not a regular file") from None
        raise UnsafeFile(f"it cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        _check(os.fstat(fd), owned, secret)  # the file opened is the file checked
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise UnsafeFile(f"it cannot be read: {exc.strerror}") from None
    if len(data) > limit:
        raise UnsafeFile(f"it is larger than {_size(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeFile(f"it is not UTF-8 text (byte {exc.start + 1})") from None


def check_foreign(path: Path) -> None:
    """For a file another library reads (botocore's config and credentials files).

    It cannot be read through ``read_text``, but it can be refused the same
    way before the library blocks on a FIFO or reads a device forever.
    Raises ``UnsafeFile``; a missing file is the library's business.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UnsafeFile(f"it cannot be read: {exc.strerror}") from None
    _check(info, owned=False, secret=False)
    if info.st_size > MAX_BYTES:
        raise UnsafeFile(f"it is larger than {_size(MAX_BYTES)}")


def parse_json(text: str):
    """The JSON value of ``text``; ``UnsafeFile`` if it is not JSON or nests too deeply."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnsafeFile(f"it is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise UnsafeFile("it is not valid JSON: it nests too deeply") from None
    except ValueError:  # e.g. a number with more digits than Python converts
        raise UnsafeFile("it is not valid JSON") from None


def load_optional(path: Path, what: str, kind: type = dict):
    """An optional file's JSON value if it is a ``kind``; else a warning and an empty ``kind``."""
    try:
        if not private_directory(path.parent, create=False):
            return kind()
        text = read_text(path, ours=True)
        if text is None:
            return kind()
        data = parse_json(text)
    except UnsafeFile as exc:
        warn(f"ignoring {what} {path}: {exc}")
        return kind()
    if not isinstance(data, kind):
        warn_damaged(path, what)
        return kind()
    return data


def warn_damaged(path: Path, what: str) -> None:
    warn(f"ignoring damaged {what} {path}; it will be rebuilt")


def save_optional(path: Path, data) -> bool:
    """Write an optional file; a failure is a warning. True if it was written."""
    try:
        if not private_directory(path.parent):
            return False
        write_json_atomic(path, data)
        sweep_temporary(path.parent)
        return True
    except OSError as exc:
        # Per directory, not per file: a full disk is one problem, said once.
        warn(f"cannot write in {path.parent}: {exc.strerror or exc}")
        return False


def private_directory(directory: Path, *, create: bool = True) -> bool:
    """Whether ``directory`` may hold the tool's files: ours, a real directory, closed to others.

    Created 0700 when ``create`` and missing. A directory of ours left open (an
    old umask, a copied home) is closed rather than refused.
    """
    try:
        if create:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.stat(directory, follow_symlinks=False)
    except FileNotFoundError:
        return not create
    except OSError as exc:
        warn(f"not using {directory}: it cannot be created: {exc.strerror}")
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        warn(f"not using {directory}: it is not a directory owned by you")
        return False
    if info.st_mode & 0o077:
        try:
            os.chmod(directory, 0o700)
        except OSError as exc:
            warn(f"not using {directory}: others can enter it and it cannot be closed ({exc.strerror})")
            return False
    return True


def write_json_atomic(path: Path, data) -> None:
    """Write so that readers never see half a file; private (0600)."""
    write_atomic(path, json.dumps(data).encode("utf-8"))


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, prefix: str = TEMPORARY_PREFIX,
                 suffix: str = ".json") -> None:
    """Replace ``path`` with ``data`` in one rename, through a temporary file beside it.

    The temporary file is private from its creation until ``mode`` is set;
    a crash leaves at most that file, named ``prefix``..., which
    ``sweep_temporary`` removes when the prefix is the tool's own.
    """
    fd, tmp = _create_private(path.parent, prefix, suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            # On disk before the rename, so a crash cannot leave an empty file.
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _create_private(directory: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file of mode 0600 in ``directory``, as mkstemp makes one.

    Without tempfile, which imports random, shutil and weakref: a cache hit
    writes the history through here.
    """
    for attempt in range(100):
        name = os.path.join(directory, f"{prefix}{os.getpid()}-{time.monotonic_ns()}-{attempt}{suffix}")
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def sweep_temporary(directory: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> int:
    """Delete temporary files a killed run left in ``directory``; returns how many.

    They may hold a whole session, so they must not outlive it on disk.
    """
    removed = 0
    limit = time.time() - older_than
    try:
        found = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in found:
        if not entry.name.startswith(TEMPORARY_PREFIX):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime <= limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed
