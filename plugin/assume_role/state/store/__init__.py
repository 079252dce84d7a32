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

from assume_role.state.store.backend import Backend
from assume_role.credentials import Credentials, MfaSession
from assume_role.errors import UsageError
from assume_role.state.files import warn

# A session this close to its end is not reused: the role session assumed
# from it could not outlive it by much, and clocks drift.
MFA_REUSE_MARGIN = 300
# Role credentials are handed out again only with this much life left, so a
# command started right after assume-role does not fail half-way.
ROLE_REUSE_MARGIN = 300

BACKENDS = ("file", "keyring", "env", "none")


def mfa_key(profile: str, serial: str) -> str:
    return f"mfa|{profile}|{serial}"


def role_key(
    profile: str,
    account_id: str,
    role: str,
    duration: int,
    external_id: str | None,
    session_name: str | None = None,
    partition: str = "aws",
    traced: tuple = (False, ()),
) -> str:
    """``traced``: (SourceIdentity sent, session tags); a session assumed with other
    ones is another session, so switching them on never reuses an untraced one."""
    # No region: role credentials are valid in every region of their
    # partition (aws, aws-cn, aws-us-gov), and only there.
    key = f"role|{profile}|{account_id}|{role}|{duration}|{external_id or ''}|{session_name or ''}|{partition}"
    source_identity, tags = traced
    if source_identity or tags:
        key += f"|{int(bool(source_identity))}|{','.join(f'{k}={v}' for k, v in tags)}"
    return key


def parse_role_key(key: str) -> tuple[str, str, str] | None:
    """(profile, account id, role) of a role key, None for other keys."""
    parts = key.split("|")
    if len(parts) < 8 or parts[0] != "role":
        return None
    return parts[1], parts[2], parts[3]


def key_profile(key: str) -> str:
    return key.split("|")[1]


class Store:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def name(self) -> str:
        return self.backend.name

    def load_mfa(self, profile: str, serial: str, bastion_key_id: str | None) -> MfaSession | None:
        """The stored MFA session, if it has life left and was made with ``bastion_key_id``."""
        data = self.backend.read(mfa_key(profile, serial))
        session = _parse(data, MfaSession.from_dict)
        if session is None or not session.made_with(bastion_key_id):
            return None
        if session.credentials.seconds_left() > MFA_REUSE_MARGIN:
            return session
        return None

    def save_mfa(self, session: MfaSession) -> None:
        self.backend.write(mfa_key(session.profile, session.serial), session.to_dict())

    def discard_mfa(self, profile: str, serial: str) -> None:
        self.backend.delete(mfa_key(profile, serial))

    def lock_mfa(self, profile: str, serial: str, waiting: str | None = None):
        """Held around GetSessionToken, so concurrent runs authenticate once.

        ``waiting`` is said once on stderr if another run holds it.
        """
        return self.backend.lock(mfa_key(profile, serial), waiting)

    def load_role(self, key: str, margin: float = ROLE_REUSE_MARGIN) -> Credentials | None:
        """Stored role credentials with over ``margin`` seconds left."""
        data = self.backend.read(key)
        credentials = _parse(data, lambda d: Credentials.from_dict(d["credentials"]))
        if credentials and credentials.seconds_left() > margin:
            return credentials
        return None

    def save_role(self, key: str, credentials: Credentials) -> None:
        self.backend.write(key, {"credentials": credentials.to_dict()})

    def stored_roles(self, profile: str) -> list[tuple[str, str, Credentials]]:
        """(account id, role, credentials) of every stored role session of ``profile``, expired or not."""
        found = []
        for key in self.backend.keys():
            parsed = parse_role_key(key)
            if parsed is None or parsed[0] != profile:
                continue
            credentials = _parse(self.backend.read(key), lambda d: Credentials.from_dict(d["credentials"]))
            if credentials is not None:
                found.append((parsed[1], parsed[2], credentials))
        return found

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
        # Half-written entries of killed runs may hold a session too.
        self.backend.forget_leftovers()
        return len(doomed)

    def exports(self) -> dict[str, str]:
        return self.backend.exports()


def _parse(data: dict | None, parse):
    if data is None:
        return None
    try:
        parsed = parse(data)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        _warn_damaged()
        return None
    credentials = parsed.credentials if isinstance(parsed, MfaSession) else parsed
    parts = (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    # Every stored session is temporary: one without a token or an end (null) is damaged.
    if not all(isinstance(part, str) for part in parts) or credentials.expiration is None:
        _warn_damaged()
        return None
    return parsed


def _warn_damaged() -> None:
    warn("ignoring a damaged cache entry; it will be rebuilt")


def backend_name() -> str:
    name = (os.environ.get("ASSUME_ROLE_CACHE") or "file").lower()
    if name not in BACKENDS:
        raise UsageError(f"unknown ASSUME_ROLE_CACHE {name!r}; choose one of {', '.join(BACKENDS)}")
    return name


def open_store() -> Store:
    name = backend_name()
    if name == "file":
        from assume_role.state.store.file import FileBackend

        return Store(FileBackend())
    if name == "keyring":
        from assume_role.state.store.keyring import KeyringBackend

        return Store(KeyringBackend())
    if name == "env":
        from assume_role.state.store.env import EnvBackend

        return Store(EnvBackend())
    from assume_role.state.store.env import NullBackend

    return Store(NullBackend())
