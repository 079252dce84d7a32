"""Where the MFA session (GetSessionToken result) is kept between runs.

Every backend answers the same four questions, so the STS flow never knows
which one it talks to. ``env`` keeps the session in the calling shell's
environment, as the original tool did: a role switch in the same shell needs
no new MFA code, and closing the shell forgets it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Protocol

from assume_role import variables
from assume_role.credentials import MfaSession

# A session this close to its end is not reused: the role session assumed
# from it could not outlive it by much, and clocks drift.
REUSE_MARGIN_SECONDS = 300


def key_for(profile: str, serial: str) -> str:
    return f"{profile}|{serial}"


def usable(session: MfaSession | None, key: str) -> bool:
    return (
        session is not None
        and key_for(session.profile, session.serial) == key
        and session.credentials.seconds_left() > REUSE_MARGIN_SECONDS
    )


class SessionStore(Protocol):
    def load(self, key: str) -> MfaSession | None: ...

    def save(self, key: str, session: MfaSession) -> None: ...

    def discard(self, key: str) -> None: ...

    def exports(self) -> dict[str, str]:
        """Variables the calling shell must export to keep the session."""
        ...


class EnvStore:
    def __init__(self, environ=os.environ):
        self._value = environ.get(variables.MFA_SESSION)
        self._exports: dict[str, str] = {}

    def load(self, key: str) -> MfaSession | None:
        if not self._value:
            return None
        try:
            session = MfaSession.from_dict(json.loads(base64.b64decode(self._value, validate=True)))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None  # damaged or from another version: ask for MFA again
        return session if usable(session, key) else None

    def save(self, key: str, session: MfaSession) -> None:
        encoded = base64.b64encode(json.dumps(session.to_dict()).encode()).decode("ascii")
        self._exports[variables.MFA_SESSION] = encoded

    def discard(self, key: str) -> None:
        self._value = None

    def exports(self) -> dict[str, str]:
        return dict(self._exports)


class NoStore:
    """Every run asks for an MFA code."""

    def load(self, key: str) -> MfaSession | None:
        return None

    def save(self, key: str, session: MfaSession) -> None:
        pass

    def discard(self, key: str) -> None:
        pass

    def exports(self) -> dict[str, str]:
        return {}


def open_store(name: str | None = None) -> SessionStore:
    name = (name or os.environ.get("ASSUME_ROLE_CACHE") or "env").lower()
    if name == "env":
        return EnvStore()
    if name == "none":
        return NoStore()
    from assume_role.errors import UsageError

    raise UsageError(f"unknown ASSUME_ROLE_CACHE backend {name!r}; use env or none")
