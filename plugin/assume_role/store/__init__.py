"""Where sessions are kept between runs: the MFA session and role credentials.

The MFA session (a GetSessionToken result) is kept per bastion profile and MFA
device, so every shell of the user reuses it until shortly before it ends.
Role credentials are kept per account, role and duration, so switching back to
a role needs no AWS call at all.

Backends (``ASSUME_ROLE_CACHE``):

* ``file`` (default): private files under ``$XDG_CACHE_HOME/assume-role``;
* ``keyring``: the system keyring through the ``keyring`` library;
* ``env``: only the MFA session, in the calling shell's environment, as the
  original tool did (closing the shell forgets it);
* ``none``: nothing is kept; every run asks for an MFA code.

Backends hold opaque JSON objects; this module gives them meaning. It imports
nothing heavy, because a role-credential hit must not import botocore.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from typing import Protocol

from assume_role.credentials import Credentials, MfaSession
from assume_role.errors import UsageError

# A session this close to its end is not reused: the role session assumed
# from it could not outlive it by much, and clocks drift.
MFA_REUSE_MARGIN = 300
# Role credentials are handed out again only with this much life left, so a
# command started right after assume-role does not fail half-way.
ROLE_REUSE_MARGIN = 300

BACKENDS = ("file", "keyring", "env", "none")


class Backend(Protocol):
    name: str

    def read(self, key: str) -> dict | None: ...

    def write(self, key: str, data: dict) -> None: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> list[str]: ...

    def lock(self, key: str) -> AbstractContextManager: ...

    def exports(self) -> dict[str, str]: ...


def warn(message: str) -> None:
    print(f"assume-role: warning: {message}", file=sys.stderr)


def mfa_key(profile: str, serial: str) -> str:
    return f"mfa|{profile}|{serial}"


def role_key(profile: str, account_id: str, role: str, duration: int, external_id: str | None) -> str:
    return f"role|{profile}|{account_id}|{role}|{duration}|{external_id or ''}"


def key_profile(key: str) -> str:
    return key.split("|")[1]


class Store:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def name(self) -> str:
        return self.backend.name

    def load_mfa(self, profile: str, serial: str) -> MfaSession | None:
        data = self.backend.read(mfa_key(profile, serial))
        session = _parse(data, MfaSession.from_dict)
        if session and session.credentials.seconds_left() > MFA_REUSE_MARGIN:
            return session
        return None

    def save_mfa(self, session: MfaSession) -> None:
        self.backend.write(mfa_key(session.profile, session.serial), session.to_dict())

    def discard_mfa(self, profile: str, serial: str) -> None:
        self.backend.delete(mfa_key(profile, serial))

    def lock_mfa(self, profile: str, serial: str) -> AbstractContextManager:
        """Held while asking for MFA, so concurrent runs authenticate once."""
        return self.backend.lock(mfa_key(profile, serial))

    def load_role(self, key: str, margin: float = ROLE_REUSE_MARGIN) -> tuple[Credentials, str] | None:
        """Stored role credentials with over ``margin`` seconds left, and their region."""
        data = self.backend.read(key)
        credentials = _parse(data, lambda d: Credentials.from_dict(d["credentials"]))
        if credentials and credentials.seconds_left() > margin:
            return credentials, str(data.get("region") or "")
        return None

    def save_role(self, key: str, credentials: Credentials, region: str) -> None:
        self.backend.write(key, {"credentials": credentials.to_dict(), "region": region})

    def discard_role_credentials(self, access_key_id: str) -> int:
        """Forget stored role credentials AWS no longer accepts (revoked); returns how many."""
        if not access_key_id:
            return 0
        doomed = []
        for key in self.backend.keys():
            data = self.backend.read(key) if key.startswith("role|") else None
            stored = data.get("credentials") if isinstance(data, dict) else None
            if isinstance(stored, dict) and stored.get("AccessKeyId") == access_key_id:
                doomed.append(key)
        for key in doomed:
            self.backend.delete(key)
        return len(doomed)

    def forget(self, profile: str | None = None) -> int:
        """Delete every stored session of ``profile`` (or all); returns how many."""
        doomed = [k for k in self.backend.keys() if profile is None or key_profile(k) == profile]
        for key in doomed:
            self.backend.delete(key)
        return len(doomed)

    def exports(self) -> dict[str, str]:
        return self.backend.exports()


def _parse(data: dict | None, parse):
    if data is None:
        return None
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        warn("ignoring a damaged cache entry; it will be rebuilt")
        return None


def backend_name() -> str:
    name = (os.environ.get("ASSUME_ROLE_CACHE") or "file").lower()
    if name not in BACKENDS:
        raise UsageError(f"unknown ASSUME_ROLE_CACHE {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def open_store(name: str | None = None) -> Store:
    name = name or backend_name()
    if name == "file":
        from assume_role.store.file import FileBackend

        return Store(FileBackend())
    if name == "keyring":
        from assume_role.store.keyring import KeyringBackend

        return Store(KeyringBackend())
    if name == "env":
        from assume_role.store.env import EnvBackend

        return Store(EnvBackend())
    from assume_role.store.env import NullBackend

    return Store(NullBackend())
