"""Remembered identity of the bastion user: name and MFA device per profile.

Saves GetCallerIdentity and iam:ListMFADevices on later runs. For a profile
whose credentials are temporary (no MFA step), what the last run learnt
instead: that they are, the role session name, and when they ended, which
``status`` shows without botocore. Not secret, but kept private like
everything else the tool writes; a file that cannot be read or written is a
warning, and the lookups are simply made again.
"""

from __future__ import annotations

from assume_role.state import paths
from assume_role.state.files import load_optional, save_optional

WHAT = "remembered MFA devices file"
FIELDS = ("access_key_id", "user_name", "serial", "credentials", "expires_at")
TEMPORARY = "temporary"


def _path():
    return paths.state_dir() / "mfa-devices.json"


def _load() -> dict:
    return load_optional(_path(), WHAT)


def recall(profile: str) -> dict:
    """What was remembered for ``profile``: only string fields, the rest is dropped."""
    entry = _load().get(profile)
    if not isinstance(entry, dict):
        return {}
    return {k: entry[k] for k in FIELDS if isinstance(entry.get(k), str) and entry[k]}


def remember(profile: str, access_key_id: str, user_name: str, serial: str) -> None:
    _store(profile, {"access_key_id": access_key_id, "user_name": user_name, "serial": serial})


def remember_temporary(profile: str, session_name: str | None, expires_at: float | None) -> None:
    """The profile gave temporary credentials, ending at ``expires_at`` (epoch seconds) if known."""
    entry = {"credentials": TEMPORARY}
    if session_name:
        entry["user_name"] = session_name
    if expires_at is not None:
        entry["expires_at"] = str(int(expires_at))
    _store(profile, entry)


def _store(profile: str, entry: dict) -> None:
    data = _load()
    if data.get(profile) != entry:
        data[profile] = entry
        save_optional(_path(), data)


def forget(profile: str) -> None:
    data = _load()
    if data.pop(profile, None) is not None:
        save_optional(_path(), data)
