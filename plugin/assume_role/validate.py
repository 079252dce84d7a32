"""Checks on user input, done before any network call."""

from __future__ import annotations

from assume_role.errors import MfaError, UsageError

# The checks a run makes on every assume are plain string tests, without re:
# importing it (and enum) costs a cache hit more than the rest of its work.
# Their documented patterns are kept beside them; tests/test_validate.py
# holds each test to its pattern.
_DIGITS = "0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_LETTERS = _LOWER + _LOWER.upper()
_LOWER_SET = frozenset(_LOWER)
_DIGIT_SET = frozenset(_DIGITS)


def has_control(value: str) -> bool:
    """Whether ``value`` holds a character matching ``[\\x00-\\x1f\\x7f]``."""
    return not value.isprintable() and any(c < " " or c == "\x7f" for c in value)


def check_typed(value: str, what: str) -> str:
    """Text a person typed (a username, a password): not empty, no control characters."""
    if not value or has_control(value):
        raise UsageError(f"the {what} must not be empty nor hold control characters")
    return value

# IAM's documented pattern for RoleName, optionally behind a path
# (team/deploy): IAM allows any printable character in a path, but this
# tool takes only the name characters, which every real path uses and
# which are safe in prompts, file names and shell completion:
# ``(?a)(?:[\w+=,.@-]+/){0,32}[\w+=,.@-]{1,64}``.
_NAME_CHARACTERS = frozenset(_LETTERS + _DIGITS + "_+=,.@-")
_MAX_PATH_PARTS = 32
_MAX_ROLE = 512 + 64
# RoleSessionName: 2 to 64 of the same characters.
SESSION_NAME_PADDING = "-assume-role"
# STS's pattern for session tag keys and values: letters, digits, spaces and _.:/=+-@.
_TAG_KEY = r"[\w\s.:/=+@-]{1,128}"
_TAG_VALUE = r"[\w\s.:/=+@-]{0,256}"
MAX_SESSION_TAGS = 50

MIN_DURATION = 900
MAX_DURATION = 43200


def is_role_name(value: str) -> bool:
    *path, name = value.split("/")
    return (
        len(value) <= _MAX_ROLE
        and len(path) <= _MAX_PATH_PARTS
        and 1 <= len(name) <= 64
        and all(path)
        and _NAME_CHARACTERS.issuperset(value.replace("/", ""))
    )


def role_name(value: str) -> str:
    if not is_role_name(value):
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
    name = "".join(c if c in _NAME_CHARACTERS else "-" for c in value.strip())[:64]
    if len(name) < 2:
        name = (name + SESSION_NAME_PADDING).lstrip("-")
    return name


def is_region(value: str) -> bool:
    """``[a-z]{2}(-[a-z]+)+-[0-9]{1,2}``: us-east-1, ap-southeast-2, us-gov-west-1."""
    parts = value.split("-")
    if len(parts) < 3:
        return False
    first, *middle, number = parts
    return (
        len(first) == 2
        and all(part and set(part) <= _LOWER_SET for part in (first, *middle))
        and 1 <= len(number) <= 2
        and set(number) <= _DIGIT_SET
    )


def region(value: str) -> str:
    if not is_region(value):
        raise UsageError(f"invalid region {value!r}: expected a region code such as us-east-1")
    return value


def is_mfa_code(value: str) -> bool:
    """``[0-9]{6}``: ASCII digits only (str.isdigit takes other scripts' digits too)."""
    return len(value) == 6 and set(value) <= _DIGIT_SET


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
        import re  # only with tags configured

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
