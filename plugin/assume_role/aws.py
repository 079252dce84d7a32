"""botocore access: the bastion profile, the STS/IAM calls, and error translation.

This is the only module that imports botocore, and only the network path
imports it.

No text from botocore or from an answer reaches the user: botocore's messages
can quote a raw answer, and a raw STS answer holds credentials. Every failure
becomes one line written here, naming the call, the endpoint and what to do.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TypeVar
from urllib.parse import urlsplit

import botocore.exceptions as bx
import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.parsers import ResponseParserError

from assume_role import endpoints, retry, settings
from assume_role.credentials import Credentials
from assume_role.errors import (
    AssumeRoleError,
    CredentialsError,
    DeniedError,
    MfaError,
    NetworkError,
    UsageError,
)

T = TypeVar("T")

# Library log records and warnings can quote requests and answers; Python
# would print them on stderr for want of a handler.
for _name in ("botocore", "urllib3"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
warnings.filterwarnings("ignore", module=r"(botocore|urllib3|boto3)(\.|$)")

# Variables that would make botocore pick something other than the bastion
# profile: a previous assume-role's exports, or a leftover AWS_PROFILE.
_FOREIGN_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
_THROTTLING = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
_BAD_KEYS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AuthFailure"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")
# What AWS error messages must never show, should one quote a credential:
# key ids, and long base64 runs with a digit or symbol in them (secrets and
# tokens; words and CamelCase error names have neither).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{20,}")
_MAX_MESSAGE = 200

# What to do when a request carrying an MFA code may have reached AWS unanswered.
CODE_MAY_BE_SPENT = "the MFA code may have been used: wait for the next code and try again"


class CredentialsRejected(CredentialsError):
    """AWS refused the credentials a request was signed with: invalid, revoked or expired."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def _config() -> Config:
    timeout = settings.http_timeout()
    # One attempt per call: retry.send decides about more (see its docstring).
    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
        user_agent_extra="assume-role",
    )


def _require_plain_files() -> None:
    """botocore would block on a FIFO config file, or read a device forever."""
    from assume_role.state_files import UnsafeFile, check_foreign

    for variable, default in (("AWS_CONFIG_FILE", "~/.aws/config"), ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")):
        path = os.path.expanduser(os.environ.get(variable) or default)
        try:
            check_foreign(path)
        except UnsafeFile as exc:
            raise UsageError(f"cannot use {path} ({variable}): {exc}") from None


class Bastion:
    """The bastion profile: its config, long-term credentials, and the calls made with it."""

    def __init__(self, profile: str, region: str | None = None):
        for name in _FOREIGN_ENVIRONMENT:
            os.environ.pop(name, None)
        self.profile = profile
        _require_plain_files()
        # An explicit profile makes botocore ignore credential variables too.
        self._session = botocore.session.Session(profile=profile)
        try:
            self.config = self._session.get_scoped_config()
        except bx.ProfileNotFound:
            raise CredentialsError(
                f"AWS profile {profile!r} not found; set AWS_PROFILE_ASSUME_ROLE or add it to ~/.aws/credentials"
            ) from None
        self.region = region

    def config_region(self) -> str | None:
        return self.config.get("region")

    def credentials(self) -> Credentials:
        with translated("reading credentials"):
            found = self._session.get_credentials()
            if found is None:
                raise CredentialsError(
                    f"no AWS credentials for profile {self.profile!r}: add the bastion IAM user's keys to "
                    "~/.aws/credentials (or a credential_process) or set AWS_PROFILE_ASSUME_ROLE"
                )
            frozen = found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def client(self, service: str, credentials: Credentials):
        with translated(f"creating the {service} client"):
            client = self._session.create_client(
                service,
                region_name=self.region or settings.DEFAULT_REGION,
                config=_config(),
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
                aws_session_token=credentials.session_token,
            )
        require_safe_endpoint(client.meta.endpoint_url)
        return client

    # -- the calls the flow makes; each answer is checked before use ---------

    def caller_arn(self, credentials: Credentials) -> str:
        return call(self.client("sts", credentials), "GetCallerIdentity", _read_arn)

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return call(self.client("iam", keys), "ListMFADevices", _read_serials, UserName=user_name)

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return call(
            self.client("sts", keys), "GetSessionToken", read_credentials, spent=CODE_MAY_BE_SPENT,
            DurationSeconds=duration, SerialNumber=serial, TokenCode=code,
        )

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return call(
            self.client("sts", credentials), "AssumeRole", read_credentials,
            spent=CODE_MAY_BE_SPENT if "TokenCode" in params else None, role_arn=params["RoleArn"], **params,
        )


def exported_caller_arn() -> str:
    """Who the credentials exported in this environment belong to, says AWS."""
    with translated("creating the sts client"):
        client = botocore.session.Session().create_client("sts", config=_config())
    # The exported role credentials get the same protection as the bastion's.
    require_safe_endpoint(client.meta.endpoint_url)
    return call(client, "GetCallerIdentity", _read_arn)


def require_safe_endpoint(url: str) -> None:
    """Credentials travel only over HTTPS, or to this machine (tests, demo)."""
    if not endpoints.is_safe(url):
        raise UsageError(
            f"refusing to send credentials to {_where(url)}: the endpoint must use https unless it is on loopback"
        )


# -- one request -------------------------------------------------------------


def call(client, operation: str, read: Callable[[dict], T], *, spent: str | None = None,
         role_arn: str | None = None, client_error: Callable[[bx.ClientError], AssumeRoleError] | None = None,
         **params) -> T:
    """Send one AWS request and read its answer with ``read``.

    A request that carries something single-use (an MFA code, which AWS
    spends on arrival) is sent again only if it cannot have reached AWS (no
    connection was made): a second try would be refused and would hide the
    first one's session. ``spent`` says what to do when it may have reached
    AWS without an answer. ``client_error`` maps AWS errors for calls whose
    errors mean something else than the bastion's.
    """
    action = f"calling {client.meta.service_model.endpoint_prefix}:{operation}"
    method = getattr(client, xform_name(operation))
    context = _Context(action, _where(client.meta.endpoint_url), spent, role_arn, client_error)

    def attempt() -> T:
        answer = method(**params)
        try:
            return read(answer)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise _Unreadable() from None

    try:
        return retry.send(
            attempt,
            attempts=settings.max_attempts(),
            deadline=settings.http_timeout(),
            may_retry=_never_sent if spent else _transient,
        )
    except AssumeRoleError:
        raise
    except Exception as exc:
        raise _translate(exc, context) from None


class _Unreadable(Exception):
    """A complete answer that does not hold what the call returns (a portal page, nothing)."""


def _never_sent(exc: BaseException) -> bool:
    # No connection was made, so the request cannot have reached AWS.
    return isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError))


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, bx.ClientError):
        code, status = _error_code(exc), _status(exc)
        return code in _THROTTLING or status in (500, 502, 503, 504)
    # An answer that cannot be read may be a proxy's passing hiccup; one that
    # carries no code can be asked for again.
    transient = (retry.DeadlineExceeded, bx.ConnectionError, bx.HTTPClientError, ResponseParserError, _Unreadable)
    return isinstance(exc, transient) and not isinstance(exc, bx.SSLError)


class _Context:
    """What a failure message says about the request that failed."""

    def __init__(self, action: str, endpoint: str, spent: str | None = None, role_arn: str | None = None,
                 client_error: Callable[[bx.ClientError], AssumeRoleError] | None = None):
        self.action, self.endpoint, self.spent, self.role_arn = action, endpoint, spent, role_arn
        self.client_error = client_error

    def then(self, otherwise: str) -> str:
        return self.spent or otherwise

    def unreadable(self) -> NetworkError:
        return NetworkError(
            f"AWS sent an answer that could not be read while {self.action} ({self.endpoint}); "
            + self.then("try again, and if it persists check for a proxy or a network sign-in page")
        )


def _translate(exc: BaseException, context: _Context) -> AssumeRoleError:
    action = context.action
    if isinstance(exc, bx.ClientError):
        status = _status(exc)
        if _error_code(exc) == "Unknown" and (status is None or status < 500):
            return context.unreadable()  # an error page, not an AWS error: a proxy's, say
        if status is not None and status >= 500:
            return NetworkError(f"AWS failed while {action} (HTTP {status}); " + context.then("try again later"))
        if context.client_error is not None:
            return context.client_error(exc)
        if _error_code(exc) in _THROTTLING and context.spent:
            return NetworkError(f"AWS throttled {action} ({_error_code(exc)}); {context.spent}")
        return _client_error(exc, action, context.role_arn, with_mfa=context.spent is not None)
    if _never_sent(exc):
        return NetworkError(f"cannot reach AWS {action} ({context.endpoint}); check your network or endpoint")
    if isinstance(exc, (retry.DeadlineExceeded, bx.ReadTimeoutError)):
        return NetworkError(
            f"timed out {action}: no complete answer within {settings.http_timeout():g}s ({context.endpoint}); "
            + context.then("check your network or ASSUME_ROLE_HTTP_TIMEOUT")
        )
    if isinstance(exc, bx.SSLError):
        return NetworkError(f"the TLS connection to {context.endpoint} failed while {action}; check its certificate")
    if isinstance(exc, bx.HTTPClientError):
        return NetworkError(
            f"the connection to AWS broke while {action} ({context.endpoint}); " + context.then("check your network")
        )
    if isinstance(exc, (ResponseParserError, _Unreadable)):
        return context.unreadable()
    return _library_error(exc, action)


@contextmanager
def translated(action: str):
    """Turn botocore failures outside ``call`` (profile, credentials, clients) into one-line errors."""
    try:
        yield
    except AssumeRoleError:
        raise
    except (bx.NoCredentialsError, bx.PartialCredentialsError):
        raise CredentialsError(
            "no usable AWS credentials for the bastion profile; check ~/.aws/credentials or AWS_PROFILE_ASSUME_ROLE"
        ) from None
    except bx.CredentialRetrievalError as exc:
        provider = _printable(str(getattr(exc, "kwargs", {}).get("provider", "credential provider")))
        raise CredentialsError(f"the bastion profile's {provider} failed; run it by hand to see why") from None
    except bx.ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile not found: {_printable(str(exc.kwargs.get('profile')))}") from None
    except Exception as exc:
        raise _translate(exc, _Context(action, "AWS")) from None


def _library_error(exc: BaseException, action: str) -> AssumeRoleError:
    # Only the type: the text of a library's exception may quote an answer.
    return AssumeRoleError(f"the AWS client failed while {action} ({type(exc).__name__}); run with -v for the steps")


# -- AWS errors ----------------------------------------------------------------


def _status(exc: bx.ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _error_code(exc: bx.ClientError) -> str:
    code = exc.response.get("Error", {}).get("Code")
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else "Unknown"


def _aws_message(exc: bx.ClientError) -> str:
    """AWS's own explanation, cleaned: one printable line, nothing credential-like, bounded."""
    message = exc.response.get("Error", {}).get("Message")
    if not isinstance(message, str):
        return ""
    message = _BASE64_RUN.sub(_redact, _printable(message)).strip()
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _redact(match: re.Match) -> str:
    run = match.group()
    credential_like = run[:4] in ("AKIA", "ASIA") or any(c.isdigit() or c in "+/=" for c in run)
    return "[…]" if credential_like else run


def _client_error(exc: bx.ClientError, action: str, role_arn: str | None, with_mfa: bool) -> AssumeRoleError:
    code = _error_code(exc)
    # Matched as AWS sent it; shown only cleaned, in the last case below.
    message = exc.response.get("Error", {}).get("Message")
    message = message if isinstance(message, str) else ""
    if code in _THROTTLING:
        return NetworkError(f"AWS throttled {action} even after retries ({code}); wait a moment and try again")
    if code in _BAD_KEYS:
        return CredentialsRejected(
            f"AWS rejected the bastion credentials ({code}); they are invalid or deactivated: update ~/.aws/credentials",
            code,
        )
    if code in _EXPIRED:
        return CredentialsRejected(
            f"AWS says the credentials have expired ({code}) while {action}; run assume-role again", code
        )
    if code == "AccessDenied" and "session credentials" in message:
        return CredentialsError(
            "the bastion profile holds temporary credentials, but an MFA session needs an IAM user's "
            "long-term access keys: put those in the profile"
        )
    if "MultiFactorAuthentication" in message or (with_mfa and code == "AccessDenied" and "MFA" in message):
        return MfaError("AWS refused the MFA code (wrong, expired or already used); wait for the next code and try again")
    if code == "ValidationError" and "role chaining" in message:
        return DeniedError(
            "AWS refused a role session over 1 hour because it was requested with temporary credentials "
            "(role chaining); give the bastion profile long-term IAM user keys or set AWS_ROLE_SESSION_TIMEOUT=3600"
        )
    if code == "ValidationError" and "MaxSessionDuration" in message:
        return DeniedError(
            "the role's MaxSessionDuration is shorter than AWS_ROLE_SESSION_TIMEOUT; lower it or raise the role's limit"
        )
    if code == "AccessDenied" and role_arn:
        return DeniedError(
            f"AWS denied sts:AssumeRole on {role_arn}: check the role name, its trust policy "
            "(MFA and ExternalId conditions) and your IAM permissions"
        )
    shown = _aws_message(exc)
    detail = f": {shown}" if shown else ""
    return AssumeRoleError(f"AWS error while {action} ({code}){detail}")


# -- reading answers -------------------------------------------------------------


def _read_arn(answer: dict) -> str:
    return _text(answer["Arn"])


def _read_serials(answer: dict) -> list[str]:
    return [_text(device["SerialNumber"]) for device in answer["MFADevices"]]


def read_credentials(answer: dict) -> Credentials:
    """Credentials from an STS answer, each field checked (a damaged answer raises)."""
    found = answer["Credentials"]
    expiration = found["Expiration"]
    if not isinstance(expiration, datetime) or expiration.tzinfo is None:
        raise ValueError("no expiration")
    return Credentials(
        _text(found["AccessKeyId"]),
        _text(found["SecretAccessKey"]),
        _text(found["SessionToken"]),
        expiration.astimezone(timezone.utc),
    )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ValueError("not a printable string")
    return value


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _where(url: str) -> str:
    """The endpoint without any user name or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else host
