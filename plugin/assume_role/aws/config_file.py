"""Profiles that use ``assume-role credential-process``, and merging them into the AWS config file.

The merge is line-based rather than configparser's read-and-rewrite, which
would drop every comment and reorder the file: every line of the file that
does not belong to a profile this tool wrote stays byte for byte. A profile
of the same name that the user wrote (its credential_process is not ours) is
left alone and reported. The old file is kept as a private backup next to it,
and the new one replaces it atomically.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from assume_role.accounts import Account
from assume_role.errors import UsageError

# Names a profile header and tools' --profile options take without quoting.
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.@+=-]{1,64}")
_HEADER = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$")
_OURS = re.compile(r"^\s*credential_process\s*=.*\bcredential-process\b")
# A config file larger than this is not one a person wrote.
MAX_CONFIG_SIZE = 1 << 20


class Section(NamedTuple):
    name: str  # the profile's name, without "profile "
    lines: tuple[str, ...]  # the body, without the header

    @property
    def header(self) -> str:
        return f"[profile {self.name}]"


def config_file() -> Path:
    explicit = os.environ.get("AWS_CONFIG_FILE")
    return Path(explicit).expanduser() if explicit else Path.home() / ".aws" / "config"


def credential_process_profiles(accounts: Iterable[Account], command: str) -> list[Section]:
    """``ALIAS-ROLE`` for every role listed in the accounts file."""
    sections = []
    for account in accounts:
        for role in account.roles:
            name = f"{account.alias}-{role}"
            if not _PROFILE_NAME.fullmatch(name):
                continue  # would need quoting in every tool; write that one by hand
            body = [f"credential_process = {command} credential-process {shlex.quote(account.alias)} {shlex.quote(role)}"]
            if account.region:
                body.append(f"region = {account.region}")
            sections.append(Section(name, tuple(body)))
    return sections


def render(sections: Iterable[Section]) -> str:
    return "".join(f"{s.header}\n" + "".join(f"{line}\n" for line in s.lines) + "\n" for s in sections)


def merge(text: str, sections: Iterable[Section]) -> tuple[str, list[str]]:
    """``text`` with ``sections`` added or updated, and what was done, one line each."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    added, updated, unchanged, kept = [], [], [], []
    for section in sections:
        span = _find(lines, section.name)
        if span is None:
            if lines and lines[-1].strip():
                lines.append("\n")
            lines.extend([f"{section.header}\n", *(f"{line}\n" for line in section.lines)])
            added.append(section.name)
            continue
        start, end = span
        body = [line for line in lines[start + 1 : end] if line.strip() and not line.lstrip().startswith(("#", ";"))]
        if [line.strip() for line in body] == list(section.lines):
            unchanged.append(section.name)
        elif any(_OURS.match(line) for line in body):
            # Written by this tool before: the body is replaced, comments and
            # blank lines after it stay where they were.
            trailing = _trailing_blank_or_comment(lines, start + 1, end)
            lines[start + 1 : end] = [*(f"{line}\n" for line in section.lines), *trailing]
            updated.append(section.name)
        else:
            kept.append(section.name)
    report = []
    for verb, names in (("added", added), ("updated", updated), ("unchanged", unchanged)):
        if names:
            report.append(f"{verb} {len(names)} profile(s): {', '.join(names)}")
    if kept:
        report.append(f"left alone {len(kept)} profile(s) of yours with the same name: {', '.join(kept)}")
    return "".join(lines), report


def merge_into_config(sections: list[Section], path: Path | None = None) -> list[str]:
    """Merge into the AWS config file, keeping a backup; returns the report lines."""
    path = path or config_file()
    text = _read_own_file(path)
    merged, report = merge(text or "", sections)
    if merged == (text or ""):
        return report + [f"{path} already holds every profile; not changed"]
    backup = None
    if text is not None:
        backup = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        _write_private(backup, text, like=path)
    _write_private(path, merged, like=path if text is not None else None)
    report.append(f"wrote {path}" + (f" (the previous version is in {backup})" if backup else ""))
    return report


def _find(lines: list[str], name: str) -> tuple[int, int] | None:
    """Line range of the ``[profile NAME]`` section: its header up to the next header."""
    start = None
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        if start is not None:
            return start, index
        words = match.group(1).split()
        if words == ["profile", name] or (name == "default" and words == ["default"]):
            start = index
    return (start, len(lines)) if start is not None else None


def _trailing_blank_or_comment(lines: list[str], start: int, end: int) -> list[str]:
    index = end
    while index > start and (not lines[index - 1].strip() or lines[index - 1].lstrip().startswith(("#", ";"))):
        index -= 1
    return lines[index:end]


def _read_own_file(path: Path) -> str | None:
    """The file's text if it is a regular file of the user's, of sane size; None if missing."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path} is not a regular file; not changing it")
        if info.st_uid != os.geteuid():
            raise UsageError(f"{path} belongs to another user; not changing it")
        data = handle.read(MAX_CONFIG_SIZE + 1)
    if len(data) > MAX_CONFIG_SIZE:
        raise UsageError(f"{path} is larger than {MAX_CONFIG_SIZE} bytes; not changing it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; not changing it") from None


def _write_private(path: Path, text: str, like: Path | None) -> None:
    """Atomic write; the mode of ``like`` (the file replaced) or 0600."""
    mode = stat.S_IMODE(os.stat(like).st_mode) if like is not None else 0o600
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode & 0o666)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

