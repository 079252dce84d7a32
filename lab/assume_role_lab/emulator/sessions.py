"""Temporary credentials the emulator has issued, and what they stand for.

moto's GetSessionToken hands every caller the same fixed key pair, and it keeps
no expiry for any temporary key. The strict layer mints its own credentials for
GetSessionToken and records those moto makes for AssumeRole, so that each
request signed with temporary credentials can be traced back to its principal,
its expiry and whether MFA was used to obtain it.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

# The two kinds of temporary credentials this tool deals with.
MFA_SESSION = "session"  # from GetSessionToken
ROLE_SESSION = "role"  # from AssumeRole


@dataclass
class TemporaryCredential:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    kind: str
    account_id: str
    principal_arn: str  # the IAM user for an MFA session, the assumed-role ARN for a role
    mfa: bool
    mfa_authenticated_at: datetime | None = None
    user_name: str | None = None  # IAM user behind an MFA session
    user_access_key_id: str | None = None  # long-term key that requested the MFA session
    role_arn: str | None = None
    revoked: bool = False  # AWS no longer knows these credentials
    # How a role session was obtained: AssumeRole called with temporary
    # credentials (role chaining), and whether it named DurationSeconds. The
    # federation endpoint refuses chained sessions that named a duration.
    chained: bool = False
    duration_requested: bool = False

    def expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.expiration

    def summary(self) -> dict:
        """A description safe to show in test output: no secret, no token."""
        data = asdict(self)
        del data["secret_access_key"], data["session_token"]
        for name in ("expiration", "mfa_authenticated_at"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        data["expired"] = self.expired()
        return data


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _access_key_id() -> str:
    # Temporary key ids start with ASIA, long-term ones with AKIA.
    alphabet = string.ascii_uppercase + "234567"
    return "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))


def _secret() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def _session_token() -> str:
    return base64.b64encode(secrets.token_bytes(240)).decode("ascii")


class SessionRegistry:
    """Thread-safe table of issued temporary credentials, keyed by access key id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, TemporaryCredential] = {}

    def mint_mfa_session(
        self,
        *,
        duration_seconds: int,
        account_id: str,
        user_arn: str,
        user_name: str,
        user_access_key_id: str,
        mfa: bool,
    ) -> TemporaryCredential:
        now = utcnow()
        credential = TemporaryCredential(
            access_key_id=_access_key_id(),
            secret_access_key=_secret(),
            session_token=_session_token(),
            # AWS reports whole seconds; trimming keeps the XML and our records equal.
            expiration=(now + timedelta(seconds=duration_seconds)).replace(microsecond=0),
            kind=MFA_SESSION,
            account_id=account_id,
            principal_arn=user_arn,
            mfa=mfa,
            mfa_authenticated_at=now if mfa else None,
            user_name=user_name,
            user_access_key_id=user_access_key_id,
        )
        self.add(credential)
        return credential

    def add(self, credential: TemporaryCredential) -> None:
        with self._lock:
            self._by_key[credential.access_key_id] = credential

    def get(self, access_key_id: str) -> TemporaryCredential | None:
        with self._lock:
            return self._by_key.get(access_key_id)

    def expire(self, kind: str | None = None, access_key_id: str | None = None) -> int:
        """Move the expiry of matching credentials into the past; returns how many."""
        past = utcnow() - timedelta(seconds=1)
        count = 0
        with self._lock:
            for credential in self._by_key.values():
                if kind and credential.kind != kind:
                    continue
                if access_key_id and credential.access_key_id != access_key_id:
                    continue
                if credential.expiration > past:
                    credential.expiration = past
                count += 1
        return count

    def revoke(self, kind: str | None = None, access_key_id: str | None = None) -> int:
        """Make matching credentials unknown to AWS, as a deleted role's sessions are; returns how many."""
        count = 0
        with self._lock:
            for credential in self._by_key.values():
                if (kind and credential.kind != kind) or (access_key_id and credential.access_key_id != access_key_id):
                    continue
                credential.revoked = True
                count += 1
        return count

    def secrets(self) -> list[str]:
        """Every key id, secret and token ever issued, for tests that look for leaks."""
        with self._lock:
            return [
                value
                for c in self._by_key.values()
                for value in (c.access_key_id, c.secret_access_key, c.session_token)
            ]

    def summaries(self) -> list[dict]:
        with self._lock:
            return [c.summary() for c in self._by_key.values()]
