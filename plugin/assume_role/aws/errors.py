"""AWS failures as the tool's one-line errors, for both AWS clients.

The standard-library client of the hot path (``query_api``) and botocore's
(``aws``) meet the same failures: AWS's error answers, no connection, no
answer in time, a broken connection, an answer that cannot be read. Each
client says which one happened; this module words it, so a failure reads the
same whichever client met it.

No text from a library or a raw answer is ever used: answers hold
credentials. AWS's own error message is matched as sent, and shown only
cleaned (printable, bounded, nothing credential-like). No botocore import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from assume_role import settings, validate
from assume_role.errors import AssumeRoleError, CredentialsError, DeniedError, MfaError, NetworkError, Unforeseen

THROTTLING = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
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
# The same for iam:CreateAccessKey, whose answer alone carries the new secret.
KEY_MAY_BE_MADE = (
    "a new access key may have been made whose secret never arrived: list the user's keys "
    "(aws iam list-access-keys) and delete the one assume-role does not hold"
)

# Maps an AWS error (code, message) of a call whose errors mean something
# else than the bastion's (AssumeRoleWithSAML).
ClientErrorHook = Callable[[str, str], AssumeRoleError]


class CredentialsRejected(CredentialsError):
    """AWS refused the credentials a request was signed with: invalid, revoked or expired."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class TrustRefused(DeniedError):
    """AWS denied AssumeRole itself: the trust policy (or the caller's permissions) does not let it in."""


class Context:
    """One request, as its failure messages describe it."""

    def __init__(self, action: str, endpoint: str, spent: str | None = None, role_arn: str | None = None,
                 client_error: ClientErrorHook | None = None):
        self.action, self.endpoint, self.spent, self.role_arn = action, endpoint, spent, role_arn
        self.client_error = client_error

    def then(self, otherwise: str) -> str:
        return self.spent or otherwise

    def unreadable(self) -> NetworkError:
        return NetworkError(
            f"AWS sent an answer that could not be read while {self.action} ({self.endpoint}); "
            + self.then("try again, and if it persists check for a proxy or a network sign-in page")
        )

    def failed(self, exc: BaseException) -> AssumeRoleError:
        """The line for a request that got no usable answer (see ``aws.http`` and ``aws.retry``)."""
        from assume_role.aws import http, retry

        if isinstance(exc, http.NoAnswer):
            # A certificate refused is no network trouble: say which, as botocore's path does.
            if exc.tls:
                return self.tls_failed()
            return self.broken() if exc.sent else self.unreachable()
        if isinstance(exc, retry.DeadlineExceeded):
            return self.timed_out(exc.attempts, exc.seconds)
        if isinstance(exc, retry.NotAws):
            return self.not_aws()
        return self.unreadable()

    def unreachable(self) -> NetworkError:
        return NetworkError(f"cannot reach AWS {self.action} ({self.endpoint}); check your network or endpoint")

    def not_aws(self) -> NetworkError:
        """A web page answered instead of AWS: a captive portal or a proxy stood in the way."""
        advice = "sign in to the network in a browser, or check the proxy"
        return NetworkError(
            f"got a web page instead of an answer from AWS while {self.action} ({self.endpoint}); {advice}"
            + (f"; {self.spent}" if self.spent else "")
        )

    def timed_out(self, attempts: int = 1, seconds: float | None = None) -> NetworkError:
        """No complete answer in ``attempts`` attempts given ``seconds`` in all (see ``retry.send``)."""
        given = settings.http_timeout() if seconds is None else seconds
        tries = f" in {attempts} attempts" if attempts > 1 else ""
        return NetworkError(
            f"timed out {self.action}: no complete answer{tries} within {round(given, 1):g}s ({self.endpoint}); "
            + self.then("check your network or ASSUME_ROLE_HTTP_TIMEOUT")
        )

    def tls_failed(self) -> NetworkError:
        return NetworkError(
            f"the TLS connection to {self.endpoint} failed while {self.action}; check its certificate"
        )

    def broken(self) -> NetworkError:
        return NetworkError(
            f"the connection to AWS broke while {self.action} ({self.endpoint}); " + self.then("check your network")
        )

    def answered(self, code: object, message: object, status: int | None) -> AssumeRoleError:
        """An error answer from AWS: its code, message and HTTP status, as received."""
        code = code if isinstance(code, str) and _ERROR_CODE.match(code) else "Unknown"
        message = message if isinstance(message, str) else ""
        if code == "Unknown" and (status is None or status < 500):
            return self.unreadable()  # an error page, not an AWS error: a proxy's, say
        if status is not None and status >= 500:
            return NetworkError(f"AWS failed while {self.action} (HTTP {status}); " + self.then("try again later"))
        if self.client_error is not None:
            return self.client_error(code, message)
        if code in THROTTLING and self.spent:
            return NetworkError(f"AWS throttled {self.action} ({code}); {self.spent}")
        return _meaning(code, message, self.action, self.role_arn, with_mfa=self.spent is not None)


def may_retry_answer(code: object, status: int | None) -> bool:
    """Whether an error answer is worth asking again for (a request without a code)."""
    return code in THROTTLING or status in (500, 502, 503, 504)


def library_error(exc: BaseException, action: str) -> AssumeRoleError:
    # Only the type: the text of a library's exception may quote an answer.
    return Unforeseen(f"the AWS client failed while {action} ({type(exc).__name__})")


# A web page's content types, and how one starts (an XML declaration may come first).
_WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_WEB_PAGE_START = re.compile(
    rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.I | re.S
)


def web_page(content_type: object, body: object) -> bool:
    """Whether an answer is a web page: AWS's STS, IAM and Organizations answers never are.

    An HTML start says so whatever the content type; an HTML content type
    says so unless the body is a JSON object (some servers label JSON
    answers text/html, as moto does for Organizations).
    """
    if not isinstance(body, bytes):
        return False
    if _WEB_PAGE_START.match(body[:4096]):
        return True
    kind = content_type.split(";")[0].strip().lower() if isinstance(content_type, str) else ""
    return kind in _WEB_PAGE_TYPES and not body.lstrip().startswith(b"{")


def _meaning(code: str, message: str, action: str, role_arn: str | None, with_mfa: bool) -> AssumeRoleError:
    if code in THROTTLING:
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
        refused = _refused_extra(role_arn, message)
        if refused is not None:
            return refused
        return TrustRefused(
            f"AWS denied sts:AssumeRole on {role_arn}: check the role name, its trust policy "
            "(MFA and ExternalId conditions) and your IAM permissions"
        )
    shown = shown_message(message)
    detail = f": {shown}" if shown else ""
    return AssumeRoleError(f"AWS error while {action} ({code}){detail}")


# What AssumeRole may carry beyond the role itself, each allowed by its own
# action in the trust policy, and the setting that sends it.
_EXTRA_PERMISSIONS = {"sts:SetSourceIdentity": "ASSUME_ROLE_SOURCE_IDENTITY", "sts:TagSession": "ASSUME_ROLE_TAGS"}


def _refused_extra(role_arn: str, message: str) -> DeniedError | None:
    """AWS names the action it denied: a SourceIdentity or session tags the trust policy does not allow."""
    for permission, setting in _EXTRA_PERMISSIONS.items():
        if f"perform: {permission}" in message:
            return DeniedError(
                f"the trust policy of {role_arn} does not allow {permission}, which {setting} needs: "
                f"add {permission} to its Action, or unset {setting}"
            )
    return None


class AccessKeysDenied(DeniedError):
    """AWS denied a call on the user's own access keys (a policy that wants MFA, say)."""


class NoSuchKey(AssumeRoleError):
    """The access key named is not the user's (any more)."""


class TooManyKeys(DeniedError):
    """The user already has the two access keys IAM allows."""


def access_key_error(action: str) -> ClientErrorHook:
    """How AWS's refusals of the iam:*AccessKey* calls read (``action`` as IAM names it)."""

    def meaning(code: str, message: str) -> AssumeRoleError:
        shown = shown_message(message)
        detail = f": {shown}" if shown else ""
        if code in ("AccessDenied", "AccessDeniedException"):
            return AccessKeysDenied(f"AWS denied iam:{action} ({code}){detail}")
        if code == "LimitExceeded":
            return TooManyKeys(f"AWS refused iam:{action} ({code}): the IAM user already has two access keys")
        if code == "NoSuchEntity":
            return NoSuchKey(f"AWS knows no such access key of the user while calling iam:{action} ({code})")
        if code in THROTTLING:  # an answer: the call was refused, not done
            return NetworkError(f"AWS throttled iam:{action} ({code}); wait a moment and try again")
        return _meaning(code, message, f"calling iam:{action}", None, with_mfa=False)

    return meaning


def organizations_error(code: str, message: str) -> AssumeRoleError:
    """organizations:ListAccounts answers only in the management account or a delegated administrator."""
    action = "calling organizations:ListAccounts"
    if code == "AWSOrganizationsNotInUseException":
        return DeniedError(f"the account is not in an AWS Organization ({code}) while {action}")
    if code in ("AccessDeniedException", "AccessDenied"):
        return DeniedError(
            f"AWS denied {action} ({code}); it works only in the organization's management account "
            "or a delegated administrator"
        )
    return _meaning(code, message, action, None, with_mfa=False)


def profile_role_error(profile: str, role_arn: str) -> ClientErrorHook:
    """AWS's errors for the AssumeRole that botocore makes for a bastion profile's own ``role_arn``."""
    action = f"assuming the role of AWS profile {profile}"

    def meaning(code: str, message: str) -> AssumeRoleError:
        if code == "AccessDenied":
            return DeniedError(
                f"AWS denied sts:AssumeRole on {role_arn}, the role_arn of the bastion profile {profile}: "
                "check that role's trust policy and that the profile's source_profile may assume it"
            )
        return _meaning(code, message, action, None, with_mfa=False)

    return meaning


def shown_message(message: str) -> str:
    """AWS's own explanation, cleaned: one printable line, nothing credential-like, bounded."""
    message = _BASE64_RUN.sub(_redact, printable(message)).strip()
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _redact(match: re.Match) -> str:
    run = match.group()
    credential_like = run[:4] in ("AKIA", "ASIA") or any(c.isdigit() or c in "+/=" for c in run)
    return "[…]" if credential_like else run


def checked_text(value: object) -> str:
    """A field of an answer: a non-empty printable string, else ValueError."""
    if not isinstance(value, str) or not value or not value.isprintable():
        raise ValueError("not a printable string")
    return value


def printable(text: str) -> str:
    """AWS's and libraries' text on one line: non-printable characters as spaces."""
    return validate.printable(text, " ")


def where(url: str) -> str:
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
