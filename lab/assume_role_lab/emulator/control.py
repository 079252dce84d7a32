"""Client for the emulator's /_strict/ control API (standard library only)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

# Never route loopback test traffic through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ControlError(RuntimeError):
    pass


class Control:
    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, name: str, payload: dict | None = None, query: dict | None = None) -> Any:
        url = f"{self.endpoint}/_strict/{name}"
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")
            raise ControlError(f"{method} {url}: HTTP {error.code}: {detail}") from None

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def admin_credentials(self) -> dict[str, str]:
        """The seeding key: {"access_key_id": ..., "secret_access_key": ...}."""
        return self._call("GET", "admin")

    def mfa_code(self, serial: str) -> str:
        """A fresh code, valid exactly once, for the MFA device ``serial``."""
        return self._call("POST", "mfa-code", {"serial": serial})["code"]

    def totp(self, serial: str) -> str:
        """The code the virtual device shows right now (spent like any real code)."""
        return self._call("GET", "totp", query={"serial": serial})["code"]

    def inject_fault(
        self,
        action: str,
        code: str | None = "Throttling",
        *,
        status: int = 400,
        message: str = "Rate exceeded",
        count: int = 1,
        delay: float = 0.0,
        after: int = 0,
    ) -> list[dict]:
        """Make ``count`` calls of ``action`` ("*" = any), after the next ``after``, fail with an AWS error."""
        payload: dict[str, Any] = {"action": action, "count": count, "status": status, "message": message,
                                   "after": after}
        if code:
            payload["code"] = code
        if delay:
            payload["delay"] = delay
        return self._call("POST", "faults", payload)["faults"]

    def delay(self, action: str, seconds: float, count: int = 1) -> list[dict]:
        """Hold the next ``count`` responses to ``action`` for ``seconds``, then answer normally."""
        return self._call("POST", "faults", {"action": action, "delay": seconds, "count": count})["faults"]

    def break_paging(self, mode: str, accounts_per_page: int = 20) -> None:
        """Make ListAccounts never end its list: a new NextToken every page ("endless") or the same ("repeat")."""
        self._call("POST", "paging", {"mode": mode, "accounts_per_page": accounts_per_page})

    def clear_paging(self) -> None:
        self._call("DELETE", "paging")

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        """Drop pending faults, keeping the call counters."""
        self._call("DELETE", "faults")

    def in_flight(self) -> int:
        """How many AWS requests the emulator is answering right now."""
        return self._call("GET", "in-flight")["in_flight"]

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Return once no request is being answered (a delayed one finishes)."""
        deadline = time.monotonic() + timeout
        while self.in_flight():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the emulator is still answering after {timeout}s")
            time.sleep(0.05)

    def key_propagation(self, requests: int) -> None:
        """Refuse each access key created from now on for its first ``requests`` requests, as IAM
        may while a new key propagates (0: new keys work at once, the default)."""
        self._call("POST", "key-propagation", {"requests": requests})

    def reset(self) -> None:
        """Clear pending faults, broken paging, call counters, recorded AssumeRole requests, unspent minted
        MFA codes and the key propagation setting."""
        self._call("POST", "reset", {})

    def calls(self, outcome: str | None = None) -> dict[str, int]:
        """Requests answered per action; ``outcome`` "ok"/"error" narrows to 2xx or failures."""
        return self._call("GET", "calls", query={"outcome": outcome} if outcome else None)

    def expire_sessions(self, kind: str | None = None, access_key_id: str | None = None) -> int:
        """Expire issued temporary credentials ("session" = GetSessionToken, "role" = AssumeRole)."""
        payload = {k: v for k, v in {"kind": kind, "access_key_id": access_key_id}.items() if v}
        return self._call("POST", "expire-sessions", payload)["expired"]

    def role_session_seconds(self, seconds: int | None) -> None:
        """Make every role session AssumeRole issues from now on end ``seconds`` after it is
        issued, whatever duration was asked (None: as asked). ``reset`` clears it."""
        self._call("POST", "role-session-seconds", {"seconds": seconds})

    def assumed_roles(self) -> list[dict]:
        """Each successful AssumeRole since the last reset: role, session name, source identity, tags."""
        return self._call("GET", "assumed-roles")["assumed"]

    def sessions(self) -> list[dict]:
        """Issued temporary credentials, without secrets."""
        return self._call("GET", "sessions")["sessions"]

    def revoke_sessions(self, kind: str | None = None, access_key_id: str | None = None) -> int:
        """Make issued temporary credentials invalid (InvalidClientTokenId), as AWS does for revoked ones."""
        payload = {k: v for k, v in {"kind": kind, "access_key_id": access_key_id}.items() if v}
        return self._call("POST", "revoke-sessions", payload)["revoked"]

    def issued_secrets(self) -> list[str]:
        """Every access key id, secret and session token the emulator has issued or holds."""
        return self._call("GET", "issued-secrets")["secrets"]

    # -- IAM Identity Center ----------------------------------------------

    def sso_start_url(self, start_url: str, region: str = "us-east-1") -> None:
        """Make ``start_url`` a start URL of the emulator's Identity Center instance."""
        self._call("POST", "sso/start-url", {"start_url": start_url, "region": region})

    def sso_assign(self, user: str, account_id: str, permission_set: str, *, account_name: str | None = None,
                   session_seconds: int = 3600) -> None:
        """Give ``user`` the permission set in the account (its role sessions last ``session_seconds``)."""
        self._call("POST", "sso/assign", {"user": user, "account_id": account_id, "permission_set": permission_set,
                                          "account_name": account_name or account_id,
                                          "session_seconds": session_seconds})

    def sso_unassign(self, user: str, account_id: str, permission_set: str | None = None) -> int:
        return self._call("POST", "sso/unassign", {"user": user, "account_id": account_id,
                                                   "permission_set": permission_set})["removed"]

    def sso_settings(self, **settings: int) -> dict:
        """interval, device_seconds, token_seconds, registration_seconds; returns them all."""
        return self._call("POST", "sso/settings", settings)

    def sso_pending(self) -> list[dict]:
        """Device authorizations started: user code, client name, approved, denied, expired, spent."""
        return self._call("GET", "sso/pending")["pending"]

    def sso_approve(self, user_code: str, user: str | None = None, *, deny: bool = False) -> None:
        """What the person does in the browser with the code the terminal showed."""
        self._call("POST", "sso/approve", {"user_code": user_code, "user": user, "deny": deny})

    def sso_expire(self, what: str) -> int:
        """Expire every device code ("devices"), access token ("tokens") or client registration."""
        return self._call("POST", "sso/expire", {"what": what})["expired"]

    def sso_revoke(self) -> int:
        """End every sign-in: its access and refresh tokens stop working."""
        return self._call("POST", "sso/revoke", {})["revoked"]

    def sso_sign_ins(self) -> list[dict]:
        return self._call("GET", "sso/sign-ins")["sign_ins"]
