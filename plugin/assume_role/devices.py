"""Remembered identity of the bastion user: name and MFA device per profile.

Saves GetCallerIdentity and iam:ListMFADevices on later runs. Not secret, but
kept private like everything else the tool writes.
"""

from __future__ import annotations

from assume_role import paths
from assume_role.state_files import read_json, write_json_atomic


def _path():
    return paths.state_dir() / "mfa-devices.json"


def _load() -> dict:
    return read_json(_path())


def recall(profile: str) -> dict:
    entry = _load().get(profile)
    return entry if isinstance(entry, dict) else {}


def remember(profile: str, access_key_id: str, user_name: str, serial: str) -> None:
    try:
        data = _load()
        data[profile] = {"access_key_id": access_key_id, "user_name": user_name, "serial": serial}
        write_json_atomic(_path(), data)
    except OSError:
        pass


def forget(profile: str) -> None:
    try:
        data = _load()
        if data.pop(profile, None) is not None:
            write_json_atomic(_path(), data)
    except OSError:
        pass
