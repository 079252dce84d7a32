"""An exclusive lock file, so concurrent runs ask for MFA at most once."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from assume_role.errors import AssumeRoleError

LOCK_TIMEOUT = 300  # long enough for a person to find their MFA device


@contextmanager
def exclusive(path: Path, timeout: float = LOCK_TIMEOUT):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            # Polling rather than a blocking flock keeps Ctrl-C responsive.
            if time.monotonic() > deadline:
                raise AssumeRoleError(f"another assume-role has held {path} for {timeout}s; try again")
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock
