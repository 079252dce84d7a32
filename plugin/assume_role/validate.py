"""Checks on user input, done before any network call."""

from __future__ import annotations

import re

from assume_role.errors import MfaError, UsageError

# IAM's documented pattern for RoleName, optionally behind a path
# (team/deploy): IAM allows any printable character in a path, but this
# tool takes only the name characters, which every real path uses and
# which are safe in prompts, file names and shell completion.
_ROLE = re.compile(r"(?:[\w+=,.@-]+/){0,32}[\w+=,.@-]{1,64}", re.ASCII)
_MAX_ROLE = 512 + 64
# RoleSessionName: 2 to 64 of these characters.
_SESSION_CHARACTER = re.compile(r"[^\w+=,.@-]", re.ASCII)
SESSION_NAME_PADDING = "-assume-role"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_MFA_CODE = re.compile(r"[0-9]{6}")

MIN_DURATION = 900
MAX_DURATION = 43200


def role_name(value: str) -> str:
    if len(value) > _MAX_ROLE or not _ROLE.fullmatch(value):
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
    name = _SESSION_CHARACTER.sub("-", value.strip())[:64]
    if len(name) < 2:
        name = (name + SESSION_NAME_PADDING).lstrip("-")
    return name


def is_region(value: str) -> bool:
    return bool(_REGION.fullmatch(value))


def region(value: str) -> str:
    if not is_region(value):
        raise UsageError(f"invalid region {value!r}: expected a region code such as us-east-1")
    return value


def is_mfa_code(value: str) -> bool:
    return bool(_MFA_CODE.fullmatch(value))


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
