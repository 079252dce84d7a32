"""AWS credential values and their (de)serialisation; no AWS imports.

collections.namedtuple classes rather than dataclasses or typing.NamedTuple:
a cache hit loads this module, and importing either would cost it milliseconds.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone


class Credentials(
    namedtuple("Credentials", ["access_key_id", "secret_access_key", "session_token", "expiration"], defaults=(None, None))
):
    """Keys, and for temporary ones the session token and an aware UTC expiration (None for long-term keys)."""

    __slots__ = ()

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


class MfaSession(
    namedtuple(
        "MfaSession", ["credentials", "profile", "serial", "user_name", "bastion_key_id", "previous_key_id"],
        defaults=(None, None),
    )
):
    """A GetSessionToken result and who it belongs to, reusable for AssumeRole.

    ``bastion_key_id``: the bastion access key that made it; the session is
    someone else's once the profile holds another user's keys.
    ``previous_key_id``: the key it was made with, when ``keys rotate`` has
    since given the same user a new one: still theirs, whichever of the two
    a run reads.
    """

    __slots__ = ()

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
