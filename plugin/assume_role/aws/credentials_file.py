"""Taking a profile's keys out of the AWS credentials file (``keys add --from-credentials-file``).

Line by line, as ``accounts.aws_profiles`` merges the config file: only the
profile's two key lines (and any continuation line of theirs) go; every
other byte stays, comments and order included. The result is checked with
the parser botocore's follows: every other section and setting reads as it
did, and the profile has no key left. The file is replaced through
``guarded_replace`` without a backup, since the old file holds the secret:
an edit made meanwhile is merged, never lost, and no copy of the old text is
left beside it.
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from assume_role.credentials import Credentials
from assume_role.errors import CredentialsError, UsageError
from assume_role.validate import printable

KEY_LINES = ("aws_access_key_id", "aws_secret_access_key")
TOKENS = ("aws_session_token", "aws_security_token")
# A credentials file larger than this is not one a person wrote.
MAX_SIZE = 1 << 20
# How configparser reads a header and an option (its default delimiters, = and :).
_HEADER = re.compile(r"\[(?P<name>.+)\]")
_OPTION = re.compile(r"(?P<key>[^=:\s][^=:]*?)\s*[=:]")
# The files looked at for copies of a secret left behind: small ones only.
_MAX_SCANNED = 1 << 20


def path() -> Path:
    return Path(os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"))


def _parse(text: str, where: Path) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(where))
    except configparser.Error:
        # Never the parser's message: it quotes lines, which hold keys.
        raise UsageError(f"cannot parse {printable(str(where))}: it is not in the INI format botocore reads") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def profile_names() -> list[str]:
    """The sections of the credentials file, by their headers alone (for Tab): no value is read."""
    from assume_role.state.files import UnsafeFile, read_text

    try:
        text = read_text(path()) or ""
    except UnsafeFile:
        return []
    names = []
    for line in text.splitlines():
        header = _HEADER.match(line.strip()) if not line[:1].isspace() else None
        if header and header.group("name") not in names:
            names.append(header.group("name"))
    return names


def keys_in(profile: str) -> Credentials:
    """The profile's long-term keys as written in the credentials file."""
    from assume_role.state.files import UnsafeFile, read_text

    where = path()
    try:
        text = read_text(where)
    except UnsafeFile as exc:
        raise UsageError(f"cannot use {printable(str(where))}: {exc}") from None
    section = _parse(text or "", where).get(profile, {})
    key, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    shown = printable(profile)
    if not (key and secret):
        raise CredentialsError(f"{printable(str(where))} holds no access key for profile {shown!r}; nothing was stored")
    if any(section.get(name) for name in TOKENS):
        raise CredentialsError(
            f"profile {shown!r} in {printable(str(where))} holds temporary credentials (a session token): "
            "only an IAM user's long-term keys are kept in the keyring"
        )
    return Credentials(key.strip(), secret.strip())


def without_keys(text: str, profile: str) -> str:
    """``text`` without the key lines of ``profile``'s section(s); every other line as it was."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    inside = False
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        header = _HEADER.match(stripped) if not line[:1].isspace() else None
        if header:
            inside = header.group("name") == profile
        option = _OPTION.match(line) if inside and not line[:1].isspace() else None
        if option and option.group("key").strip().lower() in KEY_LINES:
            index = _end_of_value(lines, index + 1)
            continue
        kept.append(line)
        index += 1
    return "".join(kept)


def _end_of_value(lines: list[str], index: int) -> int:
    """Past the continuation lines (indented, or blank before an indented one) of an option."""
    end = index
    while end < len(lines):
        if lines[end].strip() and lines[end][:1].isspace():
            index = end = end + 1
        elif not lines[end].strip():
            end += 1
        else:
            break
    return index


def verify_removal(before: str, after: str, profile: str, where: Path) -> None:
    """The change is the removal of the profile's keys, nothing else, as botocore would read it."""
    old, new = _parse(before, where), _parse(after, where)
    expected = {name: dict(values) for name, values in old.items()}
    for name in KEY_LINES:
        expected.get(profile, {}).pop(name, None)
    if new != expected:
        raise UsageError(
            f"cannot take the keys of profile {printable(profile)!r} out of {printable(str(where))} line by line "
            "(an unusual layout); the keys are stored in the keyring: remove their two lines by hand"
        )


def remove_keys(profile: str, keys: Credentials) -> Path:
    """Take the profile's keys out of the credentials file; returns the file written (a link's target).

    Only if the file still holds these very keys for the profile: a file
    changed meanwhile to hold others is left alone.
    """
    from assume_role.state import guarded_replace

    where = path()

    def change(text: str | None) -> str | None:
        if text is None:
            return None
        section = _parse(text, where).get(profile, {})
        if (section.get("aws_access_key_id") or "").strip() != keys.access_key_id:
            return None
        after = without_keys(text, profile)
        verify_removal(text, after, profile, where)
        return after

    written = guarded_replace.update(where, change, limit=MAX_SIZE, keep_backup=False)
    if written is None:
        raise UsageError(
            f"{printable(str(where))} no longer holds the key {keys.access_key_id} for profile "
            f"{printable(profile)!r}; it was left as it is"
        )
    return written.path


def copies(secret: str, directories: list[Path]) -> list[Path]:
    """Regular files in ``directories`` that hold ``secret``: backups, editors' copies, a comment left.

    Never a FIFO or a device (only regular files are opened, without following links).
    """
    needle = secret.encode("utf-8")
    found = []
    for directory in dict.fromkeys(directories):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_size > _MAX_SCANNED:
                    continue
                fd = os.open(entry.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC)
                with os.fdopen(fd, "rb") as handle:
                    if needle in handle.read(_MAX_SCANNED):
                        found.append(Path(entry.path))
            except OSError:
                continue
    return sorted(found)
