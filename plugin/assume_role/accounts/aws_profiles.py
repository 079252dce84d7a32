"""Profiles that use ``assume-role credential-process``, and merging them into the AWS config file.

The merge is line-based rather than configparser's read-and-rewrite, which
would drop every comment and reorder the file: every line of the file that
does not belong to a profile this tool wrote stays byte for byte, and in a
profile it wrote only the settings it writes change. A profile of the same
name that the user wrote (its credential_process is not ours) is kept as it
is and reported. The file is replaced through ``guarded_replace``: an edit
made meanwhile is merged, never lost, and the old file is kept as a backup.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from assume_role.accounts import Account
from assume_role.validate import printable

# Names a profile header and tools' --profile options take without quoting.
_PROFILE_NAME = re.compile(r"[A-Za-z0-9_.@+=-]{1,64}")
_HEADER = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]\s*(?:[#;].*)?$")
_OURS = re.compile(r"^\s*credential_process\s*=.*\bcredential-process\b")
# A setting of the profile itself: an indented line continues the one above
# (botocore's nested settings such as s3's).
_SETTING = re.compile(r"^([^\s=#;\[][^=]*?)\s*=\s*(.*?)\s*$")
# A config file larger than this is not one a person wrote.
MAX_CONFIG_SIZE = 1 << 20


class Section(NamedTuple):
    name: str  # the profile's name, without "profile "
    settings: tuple[tuple[str, str], ...]  # key and value, in the order written
    # Keys written only where the profile has none yet: a value there may
    # have been set by hand, and what would replace it is only a fallback.
    fill_only: frozenset[str] = frozenset()

    @property
    def header(self) -> str:
        return f"[profile {self.name}]"

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(f"{key} = {value}" for key, value in self.settings)


class Merged(NamedTuple):
    """The profiles, by name, in what ``merge`` did with each."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    kept: list[str]  # a profile of the user's with the same name, left as it is


def config_file() -> Path:
    explicit = os.environ.get("AWS_CONFIG_FILE")
    return Path(explicit).expanduser() if explicit else Path.home() / ".aws" / "config"


def credential_process_profiles(
    accounts: Iterable[Account], command: str, region: Callable[[str | None], str]
) -> list[Section]:
    """``ALIAS-ROLE`` for every role listed in the accounts file.

    ``region(the account's region or None)``: the region the profile names,
    as the main command would use it, so that tools started in a new terminal
    have one.
    """
    sections = []
    for account in accounts:
        for role in account.roles:
            name = f"{account.alias}-{role}"
            if not _PROFILE_NAME.fullmatch(name):
                continue  # would need quoting in every tool; write that one by hand
            process = f"{command} credential-process {shlex.quote(account.alias)} {shlex.quote(role)}"
            settings = (("credential_process", process), ("region", region(account.region)))
            # The account's own region is the truth about it; any other is a fallback.
            sections.append(Section(name, settings, frozenset() if account.region else frozenset({"region"})))
    return sections


def render(sections: Iterable[Section]) -> str:
    return "".join(f"{s.header}\n" + "".join(f"{line}\n" for line in s.lines) + "\n" for s in sections)


def merge(text: str, sections: Iterable[Section]) -> tuple[str, Merged]:
    """``text`` with ``sections`` added or updated, and what was done with each."""
    lines = text.splitlines(keepends=True)
    done = Merged([], [], [], [])
    for section in sections:
        span = _find(lines, section.name)
        if span is None:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            if lines and lines[-1].strip():
                lines.append("\n")
            lines.extend([f"{section.header}\n", *(f"{line}\n" for line in section.lines)])
            done.added.append(section.name)
            continue
        start, end = span
        body = lines[start + 1 : end]
        if not any(_OURS.match(line) for line in body):
            done.kept.append(section.name)
            continue
        new_body = _updated_body(body, section)
        if new_body == body:
            done.unchanged.append(section.name)
        else:
            lines[start + 1 : end] = new_body
            done.updated.append(section.name)
    return "".join(lines), done


def _updated_body(body: list[str], section: Section) -> list[str]:
    """A profile of ours with this tool's settings: each set where it is, or
    added after the last setting; every other line stays where it was."""
    body = list(body)
    for key, value in section.settings:
        index = next((i for i, line in enumerate(body) if _setting(line)[0] == key), None)
        if index is None:
            at = len(body) - len(_trailing_blank_or_comment(body, 0, len(body)))
            if at and not body[at - 1].endswith("\n"):
                body[at - 1] += "\n"
            body.insert(at, f"{key} = {value}\n")
        elif key not in section.fill_only and _setting(body[index])[1] != value:
            body[index] = f"{key} = {value}\n"
    return body


def _setting(line: str) -> tuple[str | None, str | None]:
    match = _SETTING.match(line)
    return (match.group(1), match.group(2)) if match else (None, None)


def _report(done: Merged, path: Path, written) -> list[str]:
    """What ``merge_into_config`` did, one line each; ``written`` is its ``Replaced`` or None."""
    shown = printable(str(path))
    lines = [
        f"{verb} {len(names)} profile(s): {', '.join(names)}"
        for verb, names in (("added", done.added), ("updated", done.updated), ("unchanged", done.unchanged))
        if names
    ]
    if done.kept:
        lines.append(
            f"not written {len(done.kept)} profile(s): {', '.join(done.kept)}: {shown} already has a profile "
            "of that name with other settings, kept as it is; to replace them, delete those sections from "
            "the file and run --write again"
        )
    if written is None:
        if not done.kept:
            lines.append(f"{shown} already holds every profile; not changed")
        else:
            lines.append(f"{shown} not changed" + (": it already holds the others" if done.unchanged else ""))
        return lines
    through = f" (where {shown} points)" if os.path.islink(path) else ""
    backup = f" (the previous version is in {printable(str(written.backup))})" if written.backup else ""
    lines.append(f"wrote {printable(str(written.path))}{through}{backup}")
    return lines


def merge_into_config(sections: list[Section], path: Path | None = None) -> list[str]:
    """Merge into the AWS config file, keeping a backup; returns the report lines."""
    from assume_role.state import guarded_replace

    path = path or config_file()
    outcome: list[Merged] = []

    def change(text: str | None) -> str | None:
        merged, done = merge(text or "", sections)
        outcome[:] = [done]  # called again when the file changed meanwhile: the last merge counts
        return merged if done.added or done.updated else None

    written = guarded_replace.update(path, change, limit=MAX_CONFIG_SIZE)
    return _report(outcome[0], path, written)


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
