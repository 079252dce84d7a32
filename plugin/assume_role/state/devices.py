"""Remembered identity of the bastion user: name and MFA device per profile.

Saves GetCallerIdentity and iam:ListMFADevices on later runs. Not secret, but
kept private like everything else the tool writes; a file that cannot be read
or written is a warning, and the lookups are simply made again.
"""

from __future__ import annotations

from assume_role.state import paths
from assume_role.state.files import load_optional, save_optional

WHAT = "remembered MFA devices file"
FIELDS = ("access_key_id", "user_name", "serial")


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
    data = _load()
    entry = {"access_key_id": access_key_id, "user_name": user_name, "serial": serial}
    if data.get(profile) != entry:
        data[profile] = entry
        save_optional(_path(), data)


def forget(profile: str) -> None:
    data = _load()
    if data.pop(profile, None) is not None:
        save_optional(_path(), data)
