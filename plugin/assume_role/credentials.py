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
            # OverflowError for a date near year 1 or 9999 in another zone.
            expiration = expiration.astimezone(timezone.utc)
        elif expiration is not None:
            raise TypeError("Expiration must be a date")
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
    # The bastion access key that made it: the session is someone else's
    # once the profile holds another user's keys.
    bastion_key_id: str | None = None
    # The key it was made with, when ``keys rotate`` has since given the same
    # user a new one: still theirs, whichever of the two a run reads.
    previous_key_id: str | None = None

    def made_with(self, key_id: str | None) -> bool:
        return key_id is not None and key_id in (self.bastion_key_id, self.previous_key_id)

    def to_dict(self) -> dict:
        return {
            "credentials": self.credentials.to_dict(),
            "profile": self.profile,
            "serial": self.serial,
            "user_name": self.user_name,
            "bastion_key_id": self.bastion_key_id,
            "previous_key_id": self.previous_key_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "MfaSession":
        return cls(
            credentials=Credentials.from_dict(data["credentials"]),
            profile=str(data["profile"]),
            serial=str(data["serial"]),
            user_name=str(data["user_name"]),
            bastion_key_id=data.get("bastion_key_id") if isinstance(data.get("bastion_key_id"), str) else None,
            previous_key_id=data.get("previous_key_id") if isinstance(data.get("previous_key_id"), str) else None,
        )
