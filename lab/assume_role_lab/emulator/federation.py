"""The console federation endpoint (``/federation``): getSigninToken, then login.

AWS's sign-in service turns temporary credentials into a sign-in token for the
console. It accepts role credentials that are still valid, but not MFA-session
credentials (GetSessionToken), and not role credentials obtained by role
chaining (AssumeRole called with temporary credentials) when that AssumeRole
named DurationSeconds. The emulator applies the same rules, using what the
strict layer recorded about how each role session was obtained.

``login`` answers with JSON naming the principal the token signs in, instead
of redirecting to a console the emulator does not have.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Callable, Iterable
from urllib.parse import parse_qsl

from .faults import CallCounter
from .sessions import ROLE_SESSION, SessionRegistry

PATH = "/federation"
TOKEN_LIFETIME = 15 * 60  # AWS: a sign-in token must be used within 15 minutes

_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden"}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Federation:
    def __init__(self, sessions: SessionRegistry, calls: CallCounter) -> None:
        self.sessions = sessions
        self.calls = calls
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (access key id, deadline)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        action = params.get("Action", "")
        try:
            if action == "getSigninToken":
                result = {"SigninToken": self._issue(params)}
            elif action == "login":
                result = self._login(params)
            else:
                raise Refused(400, "unknown Action")
            status = 200
        except Refused as refused:
            status, result = refused.status, {"error": str(refused)}
        if action in ("getSigninToken", "login"):
            self.calls.record(action, status == 200)
        body = json.dumps(result).encode("utf-8")
        start_response(
            f"{status} {_REASONS[status]}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _issue(self, params: dict[str, str]) -> str:
        try:
            session = json.loads(params.get("Session", ""))
            key_id, secret, token = session["sessionId"], session["sessionKey"], session["sessionToken"]
        except (ValueError, KeyError, TypeError):
            raise Refused(400, "Session must be JSON with sessionId, sessionKey and sessionToken")
        credential = self.sessions.get(str(key_id))
        if credential is None or credential.secret_access_key != secret or credential.session_token != token:
            raise Refused(403, "invalid credentials")
        if credential.expired():
            raise Refused(403, "the credentials have expired")
        if credential.kind != ROLE_SESSION:
            raise Refused(403, "GetSessionToken credentials cannot sign in to the console")
        if credential.chained and (credential.duration_requested or params.get("SessionDuration")):
            raise Refused(
                400, "role chaining: credentials from AssumeRole with DurationSeconds (or a SessionDuration) "
                "called with temporary credentials cannot sign in"
            )
        signin_token = secrets.token_urlsafe(96)
        with self._lock:
            self._tokens[signin_token] = (credential.access_key_id, time.monotonic() + TOKEN_LIFETIME)
        return signin_token

    def _login(self, params: dict[str, str]) -> dict:
        with self._lock:
            found = self._tokens.get(params.get("SigninToken", ""))
        if found is None or found[1] < time.monotonic():
            raise Refused(403, "invalid or expired sign-in token")
        credential = self.sessions.get(found[0])
        if credential is None or credential.expired():
            raise Refused(403, "the session behind the sign-in token has ended")
        return {
            "signed_in_as": credential.principal_arn,
            "destination": params.get("Destination", ""),
            "issuer": params.get("Issuer", ""),
        }
