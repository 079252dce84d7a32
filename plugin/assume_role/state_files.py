"""Small private JSON files the tool keeps for itself (history, devices, indexes).

Reads never fail: a missing or damaged file reads as empty, because each of
these files only saves work and can be rebuilt. Writes are atomic and private.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def read_json(path: Path, kind: type = dict):
    """The file's JSON value if it is of ``kind``, else an empty ``kind``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return kind()
    return data if isinstance(data, kind) else kind()


def write_json_atomic(path: Path, data) -> None:
    """Write so that readers never see half a file; created 0600 by mkstemp."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            # On disk before the rename, so a crash cannot leave an empty entry.
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
