"""AWS credential values and their (de)serialisation; no AWS imports.

NamedTuples rather than dataclasses: a cache hit loads this module, and
importing dataclasses would cost it several milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple


class Credentials(NamedTuple):
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None  # aware, UTC; None for long-term keys

    def __repr__(self) -> str:
        # Keeps secrets out of tracebacks, logs and debugger output.
        return f"Credentials(access_key_id={self.access_key_id!r}, expiration={self.expiration!r})"

    def seconds_left(self, now: datetime | None = None) -> float:
        if self.expiration is None:
            return float("inf")
        return (self.expiration - (now or datetime.now(timezone.utc))).total_seconds()

    def to_dict(self) -> dict:
        return {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration.isoformat() if self.expiration else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Credentials":
        expiration = data.get("Expiration")
        if isinstance(expiration, str):
            expiration = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        if isinstance(expiration, datetime):
            expiration = expiration.astimezone(timezone.utc)
        return cls(
            access_key_id=data["AccessKeyId"],
            secret_access_key=data["SecretAccessKey"],
            session_token=data.get("SessionToken"),
            expiration=expiration,
        )


class MfaSession(NamedTuple):
    """A GetSessionToken result and who it belongs to, reusable for AssumeRole."""

    credentials: Credentials
    profile: str
    serial: str
    user_name: str

    def to_dict(self) -> dict:
        return {
            "credentials": self.credentials.to_dict(),
            "profile": self.profile,
            "serial": self.serial,
            "user_name": self.user_name,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "MfaSession":
        return cls(
            credentials=Credentials.from_dict(data["credentials"]),
            profile=str(data["profile"]),
            serial=str(data["serial"]),
            user_name=str(data["user_name"]),
        )
