"""The emulator's control API under /_strict/: JSON in, JSON out.

Tests use it to get MFA codes, inject failures, break ListAccounts' paging,
read call counts, expire or revoke sessions, and list every secret issued (to
look for leaks). It is served by the same process as the emulated AWS
endpoints so that it sees and changes the very state those endpoints use.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from . import moto_state
from .faults import Fault
from .mfa import UnknownDevice
from .organization import BrokenPaging
from .state import LayerState

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class ControlRoutes:
    def __init__(self, state: LayerState) -> None:
        self.state = state
        self.routes: dict[tuple[str, str], Callable[[dict, dict], Any]] = {
            ("GET", "health"): lambda q, b: {"ok": True},
            ("GET", "admin"): self.admin,
            ("POST", "mfa-code"): self.mfa_code,
            ("GET", "totp"): self.totp,
            ("GET", "faults"): lambda q, b: {"faults": self.state.faults.pending()},
            ("POST", "faults"): self.add_fault,
            ("DELETE", "faults"): self.clear_faults,
            ("POST", "reset"): self.reset,
            ("GET", "calls"): self.calls,
            ("GET", "in-flight"): lambda q, b: {"in_flight": self.state.calls.in_flight()},
            ("POST", "expire-sessions"): self.expire_sessions,
            ("POST", "revoke-sessions"): self.revoke_sessions,
            ("POST", "role-session-seconds"): self.role_session_seconds,
            ("GET", "sessions"): lambda q, b: {"sessions": self.state.sessions.summaries()},
            ("GET", "assumed-roles"): lambda q, b: {"assumed": self.state.assumed.snapshot()},
            ("GET", "issued-secrets"): self.issued_secrets,
            ("POST", "paging"): self.break_paging,
            ("DELETE", "paging"): self.clear_paging,
            # IAM Identity Center (see identity_center).
            ("POST", "sso/start-url"): self.sso_start_url,
            ("POST", "sso/assign"): self.sso_assign,
            ("POST", "sso/unassign"): self.sso_unassign,
            ("POST", "sso/settings"): self.sso_settings,
            ("GET", "sso/pending"): lambda q, b: {"pending": self.state.identity_center.pending()},
            ("POST", "sso/approve"): self.sso_approve,
            ("POST", "sso/expire"): self.sso_expire,
            ("POST", "sso/revoke"): lambda q, b: {"revoked": self.state.identity_center.revoke()},
            ("GET", "sso/sign-ins"): lambda q, b: {"sign_ins": self.state.identity_center.summaries()},
            ("POST", "key-propagation"): self.key_propagation,
        }

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        name = environ.get("PATH_INFO", "")[len("/_strict/") :].strip("/")
        try:
            handler = self.routes.get((method, name))
            if handler is None:
                known = any(route_name == name for _, route_name in self.routes)
                raise ControlError(405 if known else 404, f"no control endpoint {method} /_strict/{name}")
            query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            payload = self._json_body(environ)
            status, result = 200, handler(query, payload)
        except ControlError as error:
            status, result = error.status, {"error": str(error)}
        body = json.dumps(result).encode("utf-8")
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    @staticmethod
    def _json_body(environ: dict) -> dict:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            payload = json.loads(raw)
        except ValueError as error:
            raise ControlError(400, f"body is not JSON: {error}")
        if not isinstance(payload, dict):
            raise ControlError(400, "body must be a JSON object")
        return payload

    @staticmethod
    def _required(source: dict, name: str) -> str:
        value = source.get(name)
        if not value:
            raise ControlError(400, f"missing {name!r}")
        return str(value)

    def admin(self, query: dict, payload: dict) -> dict:
        admin = self.state.admin
        return {"access_key_id": admin.access_key_id, "secret_access_key": admin.secret_access_key}

    def mfa_code(self, query: dict, payload: dict) -> dict:
        serial = self._required(payload, "serial")
        try:
            return {"code": self.state.mfa.mint(serial)}
        except UnknownDevice:
            raise ControlError(404, f"no MFA device {serial}")

    def totp(self, query: dict, payload: dict) -> dict:
        serial = self._required(query, "serial")
        try:
            return {"code": self.state.mfa.current_totp(serial)}
        except UnknownDevice:
            raise ControlError(404, f"no virtual MFA device with a seed for {serial}")

    def add_fault(self, query: dict, payload: dict) -> dict:
        try:
            fault = Fault(
                action=self._required(payload, "action"),
                remaining=int(payload.get("count", 1)),
                code=payload.get("code"),
                status=int(payload.get("status", 400)),
                message=str(payload.get("message", "")),
                delay=float(payload.get("delay", 0) or 0),
                after=int(payload.get("after", 0) or 0),
            )
        except (TypeError, ValueError) as error:
            raise ControlError(400, f"bad fault: {error}")
        if not fault.code and not fault.delay:
            raise ControlError(400, "a fault needs a 'code', a 'delay', or both")
        self.state.faults.add(fault)
        return {"faults": self.state.faults.pending()}

    def clear_faults(self, query: dict, payload: dict) -> dict:
        self.state.faults.clear()
        return {"faults": []}

    def reset(self, query: dict, payload: dict) -> dict:
        self.state.faults.clear()
        self.state.calls.clear()
        self.state.assumed.clear()
        self.state.mfa.forget_minted()
        self.state.role_session_seconds = None
        self.state.paging = None
        self.state.propagation.clear()
        return {"ok": True}

    def break_paging(self, query: dict, payload: dict) -> dict:
        try:
            paging = BrokenPaging(self._required(payload, "mode"), int(payload.get("accounts_per_page", 20)))
        except (TypeError, ValueError) as error:
            raise ControlError(400, f"bad paging: {error}")
        self.state.paging = paging
        return {"paging": payload["mode"]}

    def clear_paging(self, query: dict, payload: dict) -> dict:
        self.state.paging = None
        return {"paging": None}

    def calls(self, query: dict, payload: dict) -> dict:
        outcome = query.get("outcome")
        if outcome not in (None, "ok", "error"):
            raise ControlError(400, "outcome must be 'ok' or 'error'")
        return self.state.calls.snapshot(outcome)

    def expire_sessions(self, query: dict, payload: dict) -> dict:
        count = self.state.sessions.expire(kind=payload.get("kind"), access_key_id=payload.get("access_key_id"))
        return {"expired": count}

    def revoke_sessions(self, query: dict, payload: dict) -> dict:
        count = self.state.sessions.revoke(kind=payload.get("kind"), access_key_id=payload.get("access_key_id"))
        return {"revoked": count}

    def key_propagation(self, query: dict, payload: dict) -> dict:
        try:
            requests = int(payload.get("requests", 0))
        except (TypeError, ValueError) as error:
            raise ControlError(400, f"bad requests: {error}")
        self.state.propagation.refuse(requests)
        return {"requests": requests}

    def role_session_seconds(self, query: dict, payload: dict) -> dict:
        seconds = payload.get("seconds")
        if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1):
            raise ControlError(400, "seconds must be a positive integer, or null for sessions as long as asked")
        self.state.role_session_seconds = seconds
        return {"seconds": seconds}

    def issued_secrets(self, query: dict, payload: dict) -> dict:
        # Only for leak checks in tests: the emulator's keys are worthless anywhere else.
        long_term = [value for key in moto_state.user_keys() for value in (key.access_key_id, key.secret_access_key)]
        admin = [self.state.admin.access_key_id, self.state.admin.secret_access_key]
        sso = self.state.identity_center.secrets()
        return {"secrets": self.state.sessions.secrets() + long_term + admin + sso}

    # -- IAM Identity Center ------------------------------------------------

    def sso_start_url(self, query: dict, payload: dict) -> dict:
        self.state.identity_center.add_start_url(
            self._required(payload, "start_url"), str(payload.get("region") or "us-east-1")
        )
        return {"ok": True}

    def sso_assign(self, query: dict, payload: dict) -> dict:
        try:
            seconds = int(payload.get("session_seconds", 3600))
        except (TypeError, ValueError):
            raise ControlError(400, "session_seconds must be a whole number")
        account = self._required(payload, "account_id")
        self.state.identity_center.assign(
            self._required(payload, "user"), account, str(payload.get("account_name") or account),
            self._required(payload, "permission_set"), seconds,
        )
        return {"ok": True}

    def sso_unassign(self, query: dict, payload: dict) -> dict:
        count = self.state.identity_center.unassign(
            self._required(payload, "user"), self._required(payload, "account_id"), payload.get("permission_set")
        )
        return {"removed": count}

    def sso_settings(self, query: dict, payload: dict) -> dict:
        settings = self.state.identity_center.settings
        for name in ("interval", "device_seconds", "token_seconds", "registration_seconds"):
            if name in payload:
                try:
                    setattr(settings, name, int(payload[name]))
                except (TypeError, ValueError):
                    raise ControlError(400, f"{name} must be a whole number")
        return {name: getattr(settings, name) for name in
                ("interval", "device_seconds", "token_seconds", "registration_seconds")}

    def sso_approve(self, query: dict, payload: dict) -> dict:
        code = self._required(payload, "user_code")
        if not self.state.identity_center.approve(code, payload.get("user"), deny=bool(payload.get("deny"))):
            raise ControlError(404, f"no device authorization is waiting with user code {code}")
        return {"ok": True}

    def sso_expire(self, query: dict, payload: dict) -> dict:
        what = self._required(payload, "what")
        try:
            return {"expired": self.state.identity_center.expire(what)}
        except ValueError:
            raise ControlError(400, "what must be devices, tokens or registrations")
