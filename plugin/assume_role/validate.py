"""Checks on user input, done before any network call."""

from __future__ import annotations

import re

from assume_role.errors import MfaError, UsageError

# Patterns as strings: re compiles (and caches) each on first use, so a run
# pays only for the checks it makes.
_CONTROL = r"[\x00-\x1f\x7f]"


def has_control(value: str) -> bool:
    return re.search(_CONTROL, value) is not None


def check_typed(value: str, what: str) -> str:
    """Text a person typed (a username, a password): not empty, no control characters."""
    if not value or has_control(value):
        raise UsageError(f"the {what} must not be empty nor hold control characters")
    return value

# IAM's documented pattern for RoleName, optionally behind a path
# (team/deploy): IAM allows any printable character in a path, but this
# tool takes only the name characters, which every real path uses and
# which are safe in prompts, file names and shell completion.
_ROLE = r"(?a)(?:[\w+=,.@-]+/){0,32}[\w+=,.@-]{1,64}"
_MAX_ROLE = 512 + 64
# RoleSessionName: 2 to 64 of these characters.
_SESSION_CHARACTER = r"(?a)[^\w+=,.@-]"
SESSION_NAME_PADDING = "-assume-role"
_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}"
_MFA_CODE = r"[0-9]{6}"
# STS's pattern for session tag keys and values: letters, digits, spaces and _.:/=+-@.
_TAG_KEY = r"[\w\s.:/=+@-]{1,128}"
_TAG_VALUE = r"[\w\s.:/=+@-]{0,256}"
MAX_SESSION_TAGS = 50

MIN_DURATION = 900
MAX_DURATION = 43200


def role_name(value: str) -> str:
    if len(value) > _MAX_ROLE or not re.fullmatch(_ROLE, value):
        raise UsageError(
            f"invalid role name {value!r}: IAM role names are 1-64 characters of letters, digits and +=,.@_-, "
            "optionally after a path such as team/"
        )
    return value


def session_name(value: str) -> str:
    """``value`` made into a valid RoleSessionName.

    Characters AWS refuses become ``-``, the result is cut to 64 characters,
    and a name shorter than AWS's minimum of 2 (an IAM user called ``a``)
    gets a suffix rather than being refused.
    """
    name = re.sub(_SESSION_CHARACTER, "-", value.strip())[:64]
    if len(name) < 2:
        name = (name + SESSION_NAME_PADDING).lstrip("-")
    return name


def is_region(value: str) -> bool:
    return bool(re.fullmatch(_REGION, value))


def region(value: str) -> str:
    if not is_region(value):
        raise UsageError(f"invalid region {value!r}: expected a region code such as us-east-1")
    return value


def is_mfa_code(value: str) -> bool:
    return bool(re.fullmatch(_MFA_CODE, value))


def mfa_code(value: str) -> str:
    value = value.strip()
    if not is_mfa_code(value):
        # Never echo the value: a mistyped code may be a password pasted by accident.
        raise MfaError("the MFA code must be exactly 6 digits")
    return value


def duration(value: str, source: str) -> int:
    try:
        if not value.isascii():  # int() would take other scripts' digits too
            raise ValueError(value)
        seconds = int(value)
    except ValueError:
        raise UsageError(f"{source} must be a whole number of seconds, got {value!r}") from None
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise UsageError(
            f"{source} must be between {MIN_DURATION} and {MAX_DURATION} seconds, got {seconds}"
        )
    return seconds


def session_tags(value: str, source: str) -> dict[str, str]:
    """``key=value,key=value`` as STS session tags, checked against STS's limits."""
    tags: dict[str, str] = {}
    for item in value.split(","):
        key, equals, tag_value = item.strip().partition("=")
        key, tag_value = key.strip(), tag_value.strip()
        if not equals or not re.fullmatch(_TAG_KEY, key) or not re.fullmatch(_TAG_VALUE, tag_value):
            raise UsageError(
                f"{source} must be key=value pairs separated by commas (keys 1-128, values up to 256 "
                f"characters of letters, digits, spaces and _.:/=+-@); {item.strip()!r} is not one"
            )
        if key.lower() in (k.lower() for k in tags):
            raise UsageError(f"{source} names the tag {key!r} twice (tag keys ignore case)")
        if key.lower().startswith("aws:"):
            raise UsageError(f"{source}: tag keys starting with 'aws:' are reserved by AWS ({key!r})")
        tags[key] = tag_value
    if len(tags) > MAX_SESSION_TAGS:
        raise UsageError(f"{source} has {len(tags)} tags; AWS allows at most {MAX_SESSION_TAGS}")
    return tags


def printable(text: str, replacement: str = "?") -> str:
    """``text`` with every control or other non-printable character shown as ``?``.

    Aliases, role names and paths may hold terminal escape sequences (which can
    retitle the window, clear the screen or fake output) or bidirectional
    overrides; the shell prompt segment shows them the same way. Prose from
    AWS replaces them with a space instead, so its line breaks read as spaces.
    """
    return text if text.isprintable() else "".join(c if c.isprintable() else replacement for c in text)
