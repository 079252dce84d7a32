"""IAM Identity Center (SSO): its OIDC endpoints and its access portal, as strict as AWS.

moto has neither. The AWS CLI, every SDK and assume-role sign in the same way:

* OIDC (JSON, unsigned): RegisterClient, StartDeviceAuthorization, then
  CreateToken polled until the person approves the device in the browser
  (``AuthorizationPendingException`` until then, ``SlowDownException`` when
  polled faster than the interval, ``ExpiredTokenException`` once the device
  code is too old), or CreateToken with a refresh token;
* the portal (REST, the access token in ``x-amz-sso_bearer_token``):
  GetRoleCredentials, ListAccounts, ListAccountRoles and Logout. An expired,
  revoked or unknown token is 401 ``UnauthorizedException``; an account or
  permission set not assigned to the person is 403 ``ForbiddenException``.

Role credentials are minted by moto's STS (``moto_state.mint_role_session``)
for the permission set's role, ``AWSReservedSSO_<PermissionSet>_<hex>``, and
recorded in the strict layer's session registry, so they work against the
emulator's STS like any role session: GetCallerIdentity names the
assumed-role ARN, and AssumeRole from them is role chaining.

The person's approval in the browser is a control route (``approve``): tests
read the user code from the terminal, as a person would, and approve it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Iterable
from urllib.parse import parse_qsl

from . import moto_state
from .faults import CallCounter, FaultBoard
from .sessions import ROLE_SESSION, SessionRegistry, TemporaryCredential, utcnow

# Where each action is served: (method, path) -> action.
OIDC_ROUTES = {
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("POST", "/token"): "CreateToken",
}
PORTAL_ROUTES = {
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("POST", "/logout"): "Logout",
}
PATHS = {path for _, path in [*OIDC_ROUTES, *PORTAL_ROUTES]}

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
# The portal's page size limit, and its default.
MAX_PAGE = 100
DEFAULT_PAGE = 20
ROLE_PATH = "aws-reserved/sso.amazonaws.com/"

# The OAuth error word AWS puts in the body of each OIDC exception.
_OAUTH_ERRORS = {
    "AuthorizationPendingException": "authorization_pending",
    "SlowDownException": "slow_down",
    "ExpiredTokenException": "expired_token",
    "AccessDeniedException": "access_denied",
    "InvalidGrantException": "invalid_grant",
    "InvalidClientException": "invalid_client",
    "InvalidRequestException": "invalid_request",
    "UnsupportedGrantTypeException": "unsupported_grant_type",
    "InvalidScopeException": "invalid_scope",
    "InvalidClientMetadataException": "invalid_client_metadata",
    "InternalServerException": "server_error",
}
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def _secret(size: int = 48) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode("ascii").rstrip("=")


def _user_code() -> str:
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def role_name(account_id: str, permission_set: str) -> str:
    """The IAM role Identity Center provisions for a permission set in an account."""
    suffix = hashlib.sha256(f"{account_id}:{permission_set}".encode()).hexdigest()[:16]
    return f"AWSReservedSSO_{permission_set}_{suffix}"


def role_arn(account_id: str, permission_set: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{ROLE_PATH}{role_name(account_id, permission_set)}"


@dataclass
class Client:
    name: str
    secret: str
    scopes: tuple[str, ...]
    expires: float  # epoch seconds


@dataclass
class Device:
    client_id: str
    user_code: str
    start_url: str
    expires: float  # monotonic
    interval: int
    last_poll: float | None = None
    user: str | None = None  # who approved it in the browser
    denied: bool = False
    spent: bool = False  # a token was issued for it


@dataclass
class Grant:
    """One sign-in: its access token and (with scopes) its refresh token."""

    user: str
    client_id: str
    expires: float  # epoch seconds, the access token's
    revoked: bool = False


@dataclass
class Settings:
    interval: int = 1  # seconds between CreateToken polls
    device_seconds: int = 600
    token_seconds: int = 8 * 3600
    registration_seconds: int = 90 * 86400


@dataclass
class IdentityCenter:
    """The instance: its start URLs, people, assignments, clients and sign-ins."""

    settings: Settings = field(default_factory=Settings)
    start_urls: dict[str, str] = field(default_factory=dict)  # start URL -> region
    # user -> account id -> permission set -> session seconds
    assignments: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    account_names: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)  # by device code
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what the control routes change -----------------------------------

    def add_start_url(self, start_url: str, region: str) -> None:
        with self.lock:
            self.start_urls[start_url] = region

    def assign(self, user: str, account_id: str, account_name: str, permission_set: str, seconds: int) -> None:
        with self.lock:
            self.assignments.setdefault(user, {}).setdefault(account_id, {})[permission_set] = seconds
            self.account_names[account_id] = account_name

    def unassign(self, user: str, account_id: str, permission_set: str | None) -> int:
        with self.lock:
            sets = self.assignments.get(user, {}).get(account_id, {})
            doomed = [permission_set] if permission_set else list(sets)
            for name in doomed:
                sets.pop(name, None)
            if not sets:
                self.assignments.get(user, {}).pop(account_id, None)
            return len(doomed)

    def pending(self) -> list[dict]:
        now = time.monotonic()
        with self.lock:
            return [
                {"user_code": d.user_code, "client_name": self.clients[d.client_id].name,
                 "approved": d.user is not None, "denied": d.denied, "expired": d.expires <= now, "spent": d.spent}
                for d in self.devices.values()
            ]

    def approve(self, user_code: str, user: str | None, deny: bool = False) -> bool:
        """What the person does in the browser; False for a code nobody is waiting with."""
        with self.lock:
            for device in self.devices.values():
                if device.user_code == user_code and not device.spent and device.expires > time.monotonic():
                    if deny:
                        device.denied = True
                    else:
                        device.user = user or next(iter(self.assignments), "alice")
                    return True
        return False

    def expire(self, what: str) -> int:
        """Move lifetimes into the past: devices, tokens (access), registrations."""
        count = 0
        with self.lock:
            if what == "devices":
                for device in self.devices.values():
                    device.expires, count = 0, count + 1
            elif what == "tokens":
                for grant in self.access_tokens.values():
                    grant.expires, count = 0, count + 1
            elif what == "registrations":
                for client in self.clients.values():
                    client.expires, count = 0, count + 1
            else:
                raise ValueError(what)
        return count

    def revoke(self) -> int:
        """End every sign-in, as an administrator would: access and refresh tokens."""
        with self.lock:
            grants = {id(g): g for g in [*self.access_tokens.values(), *self.refresh_tokens.values()]}
            for grant in grants.values():
                grant.revoked = True
            return len(grants)

    def summaries(self) -> list[dict]:
        with self.lock:
            return [{"user": g.user, "expired": g.expires <= time.time(), "revoked": g.revoked,
                     "refreshable": any(r is g for r in self.refresh_tokens.values())}
                    for g in self.access_tokens.values()]

    def secrets(self) -> list[str]:
        with self.lock:
            return [*self.access_tokens, *self.refresh_tokens, *self.devices,
                    *(c.secret for c in self.clients.values())]

    # -- OIDC ---------------------------------------------------------------

    def register_client(self, body: dict) -> dict:
        name, kind = body.get("clientName"), body.get("clientType")
        if not isinstance(name, str) or not name or not isinstance(kind, str):
            raise Refused(400, "InvalidRequestException", "clientName and clientType are required")
        if kind != "public":
            raise Refused(400, "InvalidClientMetadataException", "clientType must be public")
        scopes = body.get("scopes") or []
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise Refused(400, "InvalidScopeException", "scopes must be a list of strings")
        client_id, secret = _secret(16), _secret(96)
        now = time.time()
        expires = now + self.settings.registration_seconds
        with self.lock:
            self.clients[client_id] = Client(name, secret, tuple(scopes), expires)
        return {"clientId": client_id, "clientSecret": secret, "clientIdIssuedAt": int(now),
                "clientSecretExpiresAt": int(expires)}

    def _client(self, body: dict) -> tuple[str, Client]:
        client_id, secret = body.get("clientId"), body.get("clientSecret")
        client = self.clients.get(client_id) if isinstance(client_id, str) else None
        if client is None or client.secret != secret or client.expires <= time.time():
            raise Refused(401, "InvalidClientException", "Client authentication failed")
        return client_id, client

    def start_device_authorization(self, body: dict, region: str) -> dict:
        with self.lock:
            client_id, _ = self._client(body)
            start_url = body.get("startUrl")
            if start_url not in self.start_urls:
                raise Refused(400, "InvalidRequestException", "Invalid start URL")
            device_code, user_code = _secret(64), _user_code()
            settings = self.settings
            self.devices[device_code] = Device(
                client_id, user_code, start_url, time.monotonic() + settings.device_seconds, settings.interval
            )
        verification = f"https://device.sso.{region}.amazonaws.com/"
        return {"deviceCode": device_code, "userCode": user_code, "verificationUri": verification,
                "verificationUriComplete": f"{verification}?user_code={user_code}",
                "expiresIn": settings.device_seconds, "interval": settings.interval}

    def create_token(self, body: dict) -> dict:
        with self.lock:
            client_id, client = self._client(body)
            grant_type = body.get("grantType")
            if grant_type == DEVICE_GRANT:
                user = self._device_grant(client_id, body.get("deviceCode"))
                previous = None
            elif grant_type == REFRESH_GRANT:
                previous = self.refresh_tokens.get(body.get("refreshToken"))
                if previous is None or previous.revoked or previous.client_id != client_id:
                    raise Refused(400, "InvalidGrantException", "Invalid refresh token")
                user = previous.user
            else:
                raise Refused(400, "UnsupportedGrantTypeException", "Unsupported grant type")
            return self._issue(user, client_id, client, previous)

    def _device_grant(self, client_id: str, device_code: object) -> str:
        device = self.devices.get(device_code) if isinstance(device_code, str) else None
        if device is None or device.client_id != client_id or device.spent:
            raise Refused(400, "InvalidGrantException", "Invalid device code provided")
        now = time.monotonic()
        if device.expires <= now:
            raise Refused(400, "ExpiredTokenException", "Device code has expired")
        if device.denied:
            raise Refused(400, "AccessDeniedException", "The user denied the authorization")
        polled, device.last_poll = device.last_poll, now
        if polled is not None and now - polled < device.interval:
            device.interval += 5  # RFC 8628: the client must now wait 5 s longer
            raise Refused(400, "SlowDownException", "Client is polling too fast")
        if device.user is None:
            raise Refused(400, "AuthorizationPendingException", "Authorization is still pending")
        device.spent = True
        return device.user

    def _issue(self, user: str, client_id: str, client: Client, previous: Grant | None) -> dict:
        seconds = self.settings.token_seconds
        grant = Grant(user, client_id, time.time() + seconds)
        access = _secret(180)
        self.access_tokens[access] = grant
        answer = {"accessToken": access, "tokenType": "Bearer", "expiresIn": seconds}
        if previous is not None:
            # A refresh token is spent by its use: the new one replaces it.
            previous.revoked = True
        if client.scopes:  # only a registration with scopes gets refresh tokens
            refresh = _secret(120)
            self.refresh_tokens[refresh] = grant
            answer["refreshToken"] = refresh
        return answer

    # -- the portal ---------------------------------------------------------

    def signed_in(self, token: str | None) -> Grant:
        with self.lock:
            grant = self.access_tokens.get(token) if token else None
        if grant is None or grant.revoked or grant.expires <= time.time():
            raise Refused(401, "UnauthorizedException", "Session token not found or invalid")
        return grant

    def assigned(self, user: str) -> dict[str, dict[str, int]]:
        with self.lock:
            return {account: dict(sets) for account, sets in self.assignments.get(user, {}).items() if sets}

    def logout(self, grant: Grant) -> None:
        with self.lock:
            grant.revoked = True


def _page(items: list, query: dict) -> tuple[list, str | None]:
    try:
        size = int(query.get("max_result") or DEFAULT_PAGE)
        start = int(base64.urlsafe_b64decode(query["next_token"]).decode()) if query.get("next_token") else 0
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "InvalidRequestException", "Invalid pagination parameters") from None
    if not 1 <= size <= MAX_PAGE or not 0 <= start <= len(items):
        raise Refused(400, "InvalidRequestException", "Invalid pagination parameters")
    end = start + size
    following = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], following


class Endpoints:
    """The WSGI side: routes, injected faults, call counts, AWS's error shapes."""

    def __init__(self, center: IdentityCenter, sessions: SessionRegistry, calls: CallCounter,
                 faults: FaultBoard) -> None:
        self.center, self.sessions, self.calls, self.faults = center, sessions, calls, faults

    @staticmethod
    def serves(environ: dict) -> bool:
        return environ.get("PATH_INFO", "") in PATHS

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = (environ.get("REQUEST_METHOD", "GET").upper(), environ.get("PATH_INFO", ""))
        action = OIDC_ROUTES.get(key) or PORTAL_ROUTES.get(key)
        oidc = key in OIDC_ROUTES
        self.calls.begin()
        try:
            try:
                if action is None:
                    raise Refused(404, "ResourceNotFoundException", "No such operation")
                self._fault(action)
                status, result = 200, self._answer(action, environ)
            except Refused as refused:
                status, result = refused.status, self._error_body(refused, oidc)
                error = refused.code
            else:
                error = None
            if action:
                self.calls.record(action, status == 200)
        finally:
            self.calls.end()
        body = json.dumps(result).encode("utf-8")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("x-amzn-RequestId", _secret(12))]
        if error:
            headers.append(("x-amzn-ErrorType", error))
        start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
        return [body]

    def _fault(self, action: str) -> None:
        fault = self.faults.take(action)
        if fault is None:
            return
        if fault.delay:
            time.sleep(fault.delay)
        if fault.code:
            raise Refused(fault.status, fault.code, fault.message or fault.code)

    @staticmethod
    def _error_body(refused: Refused, oidc: bool) -> dict:
        if oidc:
            return {"error": _OAUTH_ERRORS.get(refused.code, refused.code), "error_description": refused.message}
        return {"message": refused.message}

    def _answer(self, action: str, environ: dict) -> dict:
        if action in ("RegisterClient", "StartDeviceAuthorization", "CreateToken"):
            body = _json_body(environ)
            if action == "RegisterClient":
                return self.center.register_client(body)
            if action == "StartDeviceAuthorization":
                return self.center.start_device_authorization(body, _region(environ))
            return self.center.create_token(body)
        grant = self.center.signed_in(_bearer_token(environ))
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if action == "Logout":
            self.center.logout(grant)
            return {}
        assigned = self.center.assigned(grant.user)
        if action == "ListAccounts":
            accounts = [{"accountId": account, "accountName": self.center.account_names.get(account, account),
                         "emailAddress": f"aws+{account}@example.com"} for account in sorted(assigned)]
            page, following = _page(accounts, query)
            return {"accountList": page, **({"nextToken": following} if following else {})}
        account = query.get("account_id")
        if not account:
            raise Refused(400, "InvalidRequestException", "account_id is required")
        if action == "ListAccountRoles":
            if account not in assigned:
                raise Refused(403, "ForbiddenException", "No access")
            roles = [{"roleName": name, "accountId": account} for name in sorted(assigned[account])]
            page, following = _page(roles, query)
            return {"roleList": page, **({"nextToken": following} if following else {})}
        permission_set = query.get("role_name")
        if not permission_set:
            raise Refused(400, "InvalidRequestException", "role_name is required")
        seconds = assigned.get(account, {}).get(permission_set)
        if seconds is None:
            raise Refused(403, "ForbiddenException", "No access")
        return {"roleCredentials": self._mint(grant.user, account, permission_set, seconds)}

    def _mint(self, user: str, account: str, permission_set: str, seconds: int) -> dict:
        arn = role_arn(account, permission_set)
        minted = moto_state.mint_role_session(arn, user, seconds)
        expiration = (utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)
        self.sessions.add(TemporaryCredential(
            access_key_id=minted.access_key_id, secret_access_key=minted.secret_access_key,
            session_token=minted.session_token, expiration=expiration, kind=ROLE_SESSION,
            account_id=account, principal_arn=minted.arn, mfa=False, role_arn=arn,
        ))
        return {"accessKeyId": minted.access_key_id, "secretAccessKey": minted.secret_access_key,
                "sessionToken": minted.session_token, "expiration": int(expiration.timestamp() * 1000)}


def _json_body(environ: dict) -> dict:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "InvalidRequestException", "The request body must be a JSON object")
    return body


def _bearer_token(environ: dict) -> str | None:
    # Set by the emulator's request handler (server.RAW_HEADERS): werkzeug
    # leaves the underscored header out of the environ.
    for name, value in environ.get("assume_role_lab.raw_headers", ()):
        if name == "x-amz-sso_bearer_token":
            return value
    return None


def _region(environ: dict) -> str:
    # oidc.<region>.amazonaws.com; loopback (the emulator) is us-east-1.
    host = environ.get("HTTP_HOST", "")
    parts = host.split(".")
    return parts[1] if len(parts) > 3 and parts[0] == "oidc" else "us-east-1"
