"""IAM Identity Center's two APIs: OIDC (signing in) and the access portal (roles).

Both are small JSON exchanges that carry no AWS signature, only secrets of
their own (a client secret, a device code, a refresh or access token), so they
are sent like the lean STS client's requests: through ``aws.http``
(no proxy, no redirect, a bounded answer), each attempt within a deadline and
retried only where safe (``retry.request``), to an https endpoint or loopback.

* OIDC, ``https://oidc.REGION.amazonaws.com``: RegisterClient,
  StartDeviceAuthorization, CreateToken (device code or refresh token).
  Errors name the OAuth error in the body (``authorization_pending``...).
* The portal, ``https://portal.sso.REGION.amazonaws.com``, the token in the
  ``x-amz-sso_bearer_token`` header: GetRoleCredentials, ListAccounts,
  ListAccountRoles, Logout. Errors are told by their HTTP status.

``AWS_ENDPOINT_URL_SSO_OIDC``, ``AWS_ENDPOINT_URL_SSO`` and ``AWS_ENDPOINT_URL``
move them as they move botocore's clients. Every failure is one line of ours
(``aws.errors``); no answer is ever shown, since answers hold tokens.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

from assume_role.aws import http, retry
from assume_role.aws.endpoints import require_safe_endpoint
from assume_role.aws.errors import Context, checked_text, where
from assume_role.aws.regions import partition
from assume_role.credentials import Credentials
from assume_role.errors import AssumeRoleError, CredentialsError, DeniedError, NetworkError

CLIENT_NAME = "assume-role"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# Pages asked of ListAccounts and ListAccountRoles, and how many at most:
# 1,000 pages of 100 is far beyond any organisation, far below a loop.
PAGE_SIZE = 100
MAX_PAGES = 1000

Registration = namedtuple("Registration", ["client_id", "client_secret", "expires_at"])
Registration.__repr__ = lambda self: f"Registration(expires_at={self.expires_at!r})"
Device = namedtuple("Device", ["device_code", "user_code", "verification_uri", "verification_uri_complete",
                               "expires_in", "interval"])
Device.__repr__ = lambda self: f"Device(user_code={self.user_code!r})"
Issued = namedtuple("Issued", ["access_token", "expires_in", "refresh_token"])
Issued.__repr__ = lambda self: f"Issued(expires_in={self.expires_in!r})"


# -- what the sign-in flow acts on ---------------------------------------------


class Pending(AssumeRoleError):
    """The person has not approved the device yet: poll again after the interval."""

    def __init__(self):
        super().__init__("the IAM Identity Center sign-in was not approved in time", 3)


class SlowDown(Pending):
    """Polled too fast: wait five seconds longer from now on (RFC 8628)."""


class ClientRejected(CredentialsError):
    """The client registration is no longer accepted: register again."""


class RefreshRefused(CredentialsError):
    """The refresh token is spent, revoked or expired: sign in with the device flow."""


class SignInRejected(CredentialsError):
    """The portal does not take the access token: expired, revoked or signed out elsewhere."""


_OAUTH = {
    "authorization_pending": "AuthorizationPendingException",
    "slow_down": "SlowDownException",
    "expired_token": "ExpiredTokenException",
    "access_denied": "AccessDeniedException",
    "invalid_grant": "InvalidGrantException",
    "invalid_client": "InvalidClientException",
    "invalid_request": "InvalidRequestException",
    "invalid_scope": "InvalidScopeException",
    "unauthorized_client": "UnauthorizedClientException",
    "unsupported_grant_type": "UnsupportedGrantTypeException",
    "server_error": "InternalServerException",
}
_PORTAL_STATUS = {400: "InvalidRequestException", 401: "UnauthorizedException", 403: "ForbiddenException",
                  404: "ResourceNotFoundException", 429: "TooManyRequestsException"}


# -- endpoints ----------------------------------------------------------------


def endpoint(service: str, region: str) -> str:
    """OIDC (``SSO_OIDC``) or the portal (``SSO``) in ``region``, as botocore finds them."""
    # botocore's service-specific variable first, then the global one.
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        for name in (f"AWS_ENDPOINT_URL_{service}", "AWS_ENDPOINT_URL"):
            if os.environ.get(name):
                return os.environ[name]
    host = "oidc" if service == "SSO_OIDC" else "portal.sso"
    suffix = "amazonaws.com.cn" if partition(region) == "aws-cn" else "amazonaws.com"
    return f"https://{host}.{region}.{suffix}"


# -- one exchange ----------------------------------------------------------------


class _Answered(Exception):
    """An error answer: its code (None when it is not IAM Identity Center's), message, status."""

    def __init__(self, code: str | None, message: str, status: int):
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


def _send(service: str, region: str, action: str, method: str, path: str, read: Callable[[dict], object], *,
          body: dict | None = None, query: dict | None = None, token: str | None = None,
          meaning: Callable[[str, str], AssumeRoleError], once: str | None = None):
    """One call: ``read(answer object)``, or a one-line error of ours.

    ``once``: the request carries something spent on arrival (a refresh
    token): sent again only if it cannot have arrived, and this is what to do
    if it may have.
    """
    url = endpoint(service, region)
    require_safe_endpoint(url)
    context = Context(f"calling IAM Identity Center {action}", where(url), once, client_error=meaning)
    target = (urlsplit(url).path.rstrip("/") or "") + path + (f"?{urlencode(query)}" if query else "")
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["x-amz-sso_bearer_token"] = token

    def ask() -> dict:
        status, _, answer = http.exchange(url, method, headers, body=data, target=target)
        return _answer(service, status, answer)

    try:
        return retry.request(ask, read, carries_code=once is not None, never_sent=_never_sent, transient=_transient)
    except AssumeRoleError:
        raise
    except _Answered as exc:
        raise context.answered(exc.code, exc.message, exc.status) from None
    except (http.NoAnswer, retry.DeadlineExceeded, retry.Unreadable) as exc:
        raise context.failed(exc) from None


def _answer(service: str, status: int, answer: bytes) -> dict:
    """The answer's JSON object, or ``_Answered`` for an error answer."""
    try:
        data = json.loads(answer) if answer.strip() else {}
    except (ValueError, UnicodeDecodeError):
        data = None
    if not 200 <= status < 300:
        raise _Answered(_error_code(service, status, data), _message(data), status)
    if not isinstance(data, dict):
        raise retry.Unreadable()
    return data


def _error_code(service: str, status: int, data: object) -> str | None:
    # Only a JSON object is IAM Identity Center's answer: a proxy's HTML
    # page with the same status is not (aws.errors then calls it unreadable).
    if not isinstance(data, dict):
        return None
    if service == "SSO_OIDC" and isinstance(data.get("error"), str):
        return _OAUTH.get(data["error"], "Unknown")
    return _PORTAL_STATUS.get(status, "Unknown") if status < 500 else "InternalServerException"


def _message(data: object) -> str:
    if isinstance(data, dict):
        for name in ("message", "Message", "error_description"):
            if isinstance(data.get(name), str):
                return data[name]
    return ""


def _never_sent(exc: BaseException) -> bool:
    return isinstance(exc, http.NoAnswer) and not exc.sent


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, _Answered):
        return exc.status in (429, 500, 502, 503, 504)
    if isinstance(exc, http.NoAnswer):
        return not exc.tls
    return isinstance(exc, (retry.DeadlineExceeded, retry.Unreadable))


# -- reading answers ---------------------------------------------------------------


def _number(value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("not a number in range")
    return value


def _epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _read_registration(data: dict) -> Registration:
    expires = _number(data["clientSecretExpiresAt"], 1, 2**40)
    return Registration(checked_text(data["clientId"]), checked_text(data["clientSecret"]), _epoch(expires))


def _read_device(data: dict) -> Device:
    return Device(
        checked_text(data["deviceCode"]), checked_text(data["userCode"]), checked_text(data["verificationUri"]),
        checked_text(data["verificationUriComplete"]) if data.get("verificationUriComplete") else None,
        _number(data["expiresIn"], 1, 86400), _number(data.get("interval", 5), 1, 600),
    )


def _read_issued(data: dict) -> Issued:
    refresh = data.get("refreshToken")
    return Issued(checked_text(data["accessToken"]), _number(data["expiresIn"], 1, 10 * 86400),
                  checked_text(refresh) if refresh is not None else None)


def _read_role_credentials(data: dict) -> Credentials:
    found = data["roleCredentials"]
    expiration = _epoch(_number(found["expiration"], 1, 2**50) / 1000)
    return Credentials(checked_text(found["accessKeyId"]), checked_text(found["secretAccessKey"]),
                       checked_text(found["sessionToken"]), expiration)


# -- OIDC ------------------------------------------------------------------------


def _oidc_meaning(action: str, hint: str):
    def meaning(code: str, message: str) -> AssumeRoleError:
        if code == "AuthorizationPendingException":
            return Pending()
        if code == "SlowDownException":
            return SlowDown()
        if code == "InvalidClientException":
            return ClientRejected("IAM Identity Center no longer accepts this tool's client registration")
        if code == "InvalidGrantException":
            return RefreshRefused("IAM Identity Center no longer accepts the sign-in's refresh token")
        if code == "ExpiredTokenException":
            return CredentialsError("the IAM Identity Center sign-in code expired before it was approved; "
                                    "run assume-role again and approve it in the browser")
        if code == "AccessDeniedException":
            return CredentialsError("the IAM Identity Center sign-in was denied in the browser")
        if code in ("TooManyRequestsException", "InternalServerException"):
            return NetworkError(f"IAM Identity Center failed while {action} ({code}); try again later")
        return CredentialsError(f"IAM Identity Center refused {action} ({code}); {hint}")

    return meaning


def register_client(region: str, scopes: tuple[str, ...], hint: str) -> Registration:
    body = {"clientName": CLIENT_NAME, "clientType": "public"}
    if scopes:
        body["scopes"] = list(scopes)
    return _send("SSO_OIDC", region, "RegisterClient", "POST", "/client/register", _read_registration,
                 body=body, meaning=_oidc_meaning("registering this tool", hint))


def start_device_authorization(region: str, registration: Registration, start_url: str, hint: str) -> Device:
    body = {"clientId": registration.client_id, "clientSecret": registration.client_secret, "startUrl": start_url}
    return _send("SSO_OIDC", region, "StartDeviceAuthorization", "POST", "/device_authorization", _read_device,
                 body=body, meaning=_oidc_meaning("starting the sign-in", hint))


def create_token(region: str, registration: Registration, hint: str, *, device_code: str | None = None,
                 refresh_token: str | None = None) -> Issued:
    """A token for an approved device (``Pending``/``SlowDown`` until then), or a renewed one."""
    body = {"clientId": registration.client_id, "clientSecret": registration.client_secret}
    if refresh_token is not None:
        body.update(grantType="refresh_token", refreshToken=refresh_token)
        once = "the refresh token may have been used: run assume-role again to sign in"
    else:
        body.update(grantType=DEVICE_GRANT, deviceCode=device_code)
        once = None
    return _send("SSO_OIDC", region, "CreateToken", "POST", "/token", _read_issued, body=body,
                 meaning=_oidc_meaning("getting a token", hint), once=once)


# -- the portal --------------------------------------------------------------------


def _portal_meaning(refused: Callable[[], AssumeRoleError]):
    def meaning(code: str, message: str) -> AssumeRoleError:
        if code == "UnauthorizedException":
            return SignInRejected("IAM Identity Center no longer accepts the sign-in (expired, or signed out)")
        if code == "ForbiddenException":
            return refused()
        if code == "TooManyRequestsException":
            return NetworkError(f"IAM Identity Center throttled the request even after retries ({code}); "
                                "wait a moment and try again")
        from assume_role.aws.errors import shown_message

        shown = shown_message(message)
        return AssumeRoleError(f"IAM Identity Center refused the request ({code})" + (f": {shown}" if shown else ""))

    return meaning


def role_credentials(region: str, token: str, account_id: str, role_name: str, label: str) -> Credentials:
    """GetRoleCredentials: the permission set's role in the account; ``label`` names the account."""

    def refused() -> AssumeRoleError:
        return DeniedError(f"IAM Identity Center does not give you the permission set {role_name} in {label}: "
                           "check the name, or ask for the assignment (assume-role accounts sync --sso lists yours)")

    return _send("SSO", region, "GetRoleCredentials", "GET", "/federation/credentials", _read_role_credentials,
                 query={"account_id": account_id, "role_name": role_name}, token=token,
                 meaning=_portal_meaning(refused))


def _pages(action: str, path: str, region: str, token: str, field: str, query: dict,
           convert: Callable[[dict], object], refused: Callable[[], AssumeRoleError]) -> list:
    """Every item of a listing, each ``convert``ed, bounded: at most MAX_PAGES, a page token never seen twice."""
    found: list = []
    seen: set[str] = set()
    following = None
    for _ in range(MAX_PAGES):
        page_query = {**query, "max_result": PAGE_SIZE, **({"next_token": following} if following else {})}

        def read(data: dict) -> tuple[list, str | None]:
            items = data.get(field) or []
            after = data.get("nextToken")
            if not isinstance(items, list):
                raise ValueError(field)
            return [convert(item) for item in items], checked_text(after) if after else None

        items, following = _send("SSO", region, action, "GET", path, read, query=page_query, token=token,
                                 meaning=_portal_meaning(refused))
        found += items
        if not following:
            return found
        if following in seen:
            break
        seen.add(following)
    raise NetworkError(f"IAM Identity Center {action} kept answering more pages; nothing was changed")


def accounts(region: str, token: str) -> list[tuple[str, str]]:
    """(account id, account name) of every account assigned to the person."""
    def convert(item: dict) -> tuple[str, str]:
        account_id = checked_text(item["accountId"])
        return account_id, checked_text(item.get("accountName") or account_id)

    return _pages("ListAccounts", "/assignment/accounts", region, token, "accountList", {}, convert,
                  lambda: DeniedError("IAM Identity Center refused to list your accounts"))


def account_roles(region: str, token: str, account_id: str) -> list[str]:
    """The permission sets the person has in the account."""
    return _pages("ListAccountRoles", "/assignment/roles", region, token, "roleList", {"account_id": account_id},
                  lambda item: checked_text(item["roleName"]),
                  lambda: DeniedError(f"IAM Identity Center gives you no permission set in {account_id}"))


def logout(region: str, token: str) -> None:
    """Ends the sign-in at IAM Identity Center (role credentials obtained keep working)."""
    _send("SSO", region, "Logout", "POST", "/logout", lambda data: None, token=token,
          meaning=_portal_meaning(lambda: DeniedError("IAM Identity Center refused the sign-out")))
