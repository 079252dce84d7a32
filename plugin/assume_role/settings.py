"""Settings read from the environment (the original tool's variables first)."""

from __future__ import annotations

import os

from assume_role import validate
from assume_role.errors import UsageError

DEFAULT_DURATION = 3600
DEFAULT_REGION = "us-east-1"
DEFAULT_HTTP_TIMEOUT = 10
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_MFA_PROCESS_TIMEOUT = 60
MAX_HTTP_TIMEOUT = 3600
MAX_ATTEMPTS = 20

# AWS counts AssumeRole from temporary credentials as role chaining and caps it
# at one hour; longer sessions must be assumed with the long-term keys.
ROLE_CHAINING_LIMIT = 3600
# The MFA session lasts as long as AWS allows for the default: 12 hours.
MFA_SESSION_DURATION = 43200


def bastion_profile() -> str:
    return os.environ.get("AWS_PROFILE_ASSUME_ROLE") or "default"


def bastion_profile_named() -> bool:
    """Whether AWS_PROFILE_ASSUME_ROLE names the bastion profile (else: default, or the accounts file's "#sso")."""
    return bool(os.environ.get("AWS_PROFILE_ASSUME_ROLE"))


AUTH_SCHEME = "AWS_ASSUME_ROLE_AUTH_SCHEME"
AUTH_SCHEMES = ("bastion", "saml")


def auth_scheme() -> str:
    """The sign-in the original tool's variable asks for: bastion (the default) or saml.

    A typo must not silently fall back to the bastion: it is a usage error.
    """
    value = os.environ.get(AUTH_SCHEME, "").strip().lower() or "bastion"
    if value not in AUTH_SCHEMES:
        raise UsageError(f"{AUTH_SCHEME} must be bastion (the default) or saml, got {os.environ[AUTH_SCHEME]!r}")
    return value


def role_duration() -> int:
    value = os.environ.get("AWS_ROLE_SESSION_TIMEOUT")
    if not value:
        return DEFAULT_DURATION
    return validate.duration(value, "AWS_ROLE_SESSION_TIMEOUT")


def external_id(account_id: str) -> str | None:
    """``ExternalId`` for AssumeRole: the account id unless configured.

    ``ASSUME_ROLE_EXTERNAL_ID=none`` sends none; any other value is sent as is.
    """
    value = os.environ.get("ASSUME_ROLE_EXTERNAL_ID", "account")
    if value in ("", "account"):
        return account_id
    if value.lower() in ("none", "off", "false", "0"):
        return None
    return value


def session_name() -> str | None:
    """The role session name asked for, if any, made valid for AWS.

    ``ASSUME_ROLE_SESSION_NAME``, else ``AWS_USERNAME`` (the original tool's
    name for it); without either, the bastion IAM user's name is used.
    """
    for name in ("ASSUME_ROLE_SESSION_NAME", "AWS_USERNAME"):
        value = os.environ.get(name, "").strip()
        if value:
            return validate.session_name(value)
    return None


def region_from_environment() -> str | None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name)
        if value:
            return validate.region(value)
    return None


def mfa_serial_from_environment() -> str | None:
    return os.environ.get("ASSUME_ROLE_MFA_SERIAL") or None


def source_identity_enabled() -> bool:
    """``ASSUME_ROLE_SOURCE_IDENTITY=1``: send the IAM user name as SourceIdentity (opt-in,
    because the role's trust policy must allow sts:SetSourceIdentity)."""
    value = (os.environ.get("ASSUME_ROLE_SOURCE_IDENTITY") or "").strip().lower()
    if value in ("", "0", "no", "off", "false"):
        return False
    if value in ("1", "yes", "on", "true"):
        return True
    raise UsageError(f"ASSUME_ROLE_SOURCE_IDENTITY must be 1 or 0, got {value!r}")


def session_tags() -> dict[str, str]:
    """``ASSUME_ROLE_TAGS=key=value,key=value``: session tags (needs sts:TagSession)."""
    value = os.environ.get("ASSUME_ROLE_TAGS") or ""
    return validate.session_tags(value, "ASSUME_ROLE_TAGS") if value.strip() else {}


def http_timeout() -> float:
    return _positive_number("ASSUME_ROLE_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT, MAX_HTTP_TIMEOUT)


def max_attempts() -> int:
    return max(1, int(_positive_number("AWS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS)))


def mfa_process_timeout() -> float:
    return _positive_number("ASSUME_ROLE_MFA_PROCESS_TIMEOUT", DEFAULT_MFA_PROCESS_TIMEOUT)


def _positive_number(name: str, default: float, maximum: float = 86400) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1
    # Not inf or nan either: timeouts become socket and thread waits.
    if not 0 < number <= maximum:
        raise UsageError(f"{name} must be a positive number up to {maximum:g}, got {value!r}")
    return number
