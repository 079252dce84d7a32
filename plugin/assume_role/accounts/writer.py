"""Writing the accounts file: readable, atomic, with a backup of the previous one.

People edit this file by hand and keep it in dotfile repositories, so a
rewrite keeps it easy to read and to diff: one entry a line, sorted by alias.
The file is replaced in one rename (a reader sees the old file or the new,
never half of one), the previous content is kept next to it as
``accounts.bak``, and a symlinked file is written where the link points.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from assume_role.errors import AssumeRoleError
from assume_role.state.files import write_atomic

BACKUP_SUFFIX = ".bak"


def render(table: dict) -> str:
    """The JSON object, one ``"alias": value`` a line, sorted by alias."""
    if not table:
        return "{}\n"
    lines = [
        f"  {json.dumps(alias, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        for alias, value in sorted(table.items())
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def replace(path: Path, text: str, *, expected: bytes | None) -> Path | None:
    """Write ``text`` to ``path`` if it still holds ``expected`` (None: did not exist).

    Returns the backup's path, or None when there was no previous file. Refuses
    when the file changed since it was read: an edit made meanwhile (by hand or
    by another sync) must not be overwritten silently.
    """
    real = Path(os.path.realpath(path))
    try:
        current = real.read_bytes()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise AssumeRoleError(f"cannot read {real} again before writing it: {exc.strerror}") from None
    if current != expected:
        raise AssumeRoleError(f"{real} changed while syncing; nothing was written, run the sync again")
    try:
        mode = os.stat(real).st_mode & 0o777 if current is not None else 0o644
        backup = None
        if current is not None:
            backup = real.with_name(real.name + BACKUP_SUFFIX)
            _write_atomic(backup, current, mode)
        _write_atomic(real, text.encode("utf-8"), mode)
    except OSError as exc:
        raise AssumeRoleError(f"cannot write {real}: {exc.strerror}; it was left as it was") from None
    return backup


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    write_atomic(path, data, mode=mode, prefix=f".{path.name}.", suffix=".tmp")
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
