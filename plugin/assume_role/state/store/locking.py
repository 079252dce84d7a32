"""An exclusive lock file, so concurrent runs ask AWS for an MFA session once.

The lock only saves work, so it never fails a run: a lock file that cannot be
made (read-only directory, a symbolic link planted at its path) is a warning
and the run goes on unlocked, as it does when the holder takes too long.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import time

from assume_role.validate import printable
from assume_role.state.files import warn

# Held only around AWS calls (never while a person is asked for a code), so a
# holder is done within a request's time bound unless it is stuck.
LOCK_TIMEOUT = 120


class exclusive:  # noqa: N801 (named as what it holds: with exclusive(path): ...)
    """Hold ``path`` locked; ``waiting`` is said once on stderr if another run holds it.

    A class rather than a contextlib generator: contextlib (with functools and
    collections behind it) would be imported on every cache hit.
    """

    def __init__(self, path: str, timeout: float = LOCK_TIMEOUT, waiting: str | None = None):
        self.path, self.timeout, self.waiting = path, timeout, waiting
        self._fd: int | None = None

    def __enter__(self) -> None:
        path = self.path
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            reason = "a symbolic link is in its place" if exc.errno == errno.ELOOP else exc.strerror
            warn(f"cannot lock {path} ({reason}); going on without the lock")
            return
        try:
            _wait_for(fd, path, self.timeout, self.waiting)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, *raised) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def _wait_for(fd: int, path: str, timeout: float, waiting: str | None) -> None:
    """Wait for the lock on ``fd``; past ``timeout``, or on an error, go on without it."""
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                warn(f"cannot lock {path} ({exc.strerror}); going on without the lock")
                break
        if waiting and not said:
            print(f"assume-role: {printable(waiting)}", file=sys.stderr)
            said = True
        if time.monotonic() > deadline:
            warn(f"another assume-role has held {path} for {timeout:g}s; going on without the lock")
            break
        # Polling rather than a blocking flock keeps Ctrl-C responsive.
        time.sleep(0.05)
