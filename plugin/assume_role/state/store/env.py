"""Backends that keep nothing on disk: the calling shell's environment, or nothing."""

from __future__ import annotations

import base64
import binascii
import json
import os
from contextlib import nullcontext

from assume_role import variables
from assume_role.state.store.backend import Backend


class EnvBackend(Backend):
    """The MFA session rides in the shell's environment, as in the original tool.

    Only the MFA session is kept (role credentials are already exported), and
    only the calling shell and its children see it.
    """

    name = "env"

    def __init__(self, environ=os.environ):
        self._value = environ.get(variables.MFA_SESSION)
        self._exports: dict[str, str] = {}

    def read(self, key: str) -> dict | None:
        if not key.startswith("mfa|") or not self._value:
            return None
        try:
            entry = json.loads(base64.b64decode(self._value, validate=True))
        except (ValueError, binascii.Error, RecursionError):
            return None  # damaged or from another version: ask for MFA again
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry.get("data")

    def write(self, key: str, data: dict) -> None:
        if key.startswith("mfa|"):
            raw = json.dumps({"key": key, "data": data}).encode()
            self._exports[variables.MFA_SESSION] = base64.b64encode(raw).decode("ascii")

    def delete(self, key: str) -> None:
        self._value = None

    def keys(self) -> list[str]:
        return []

    def lock(self, key: str, waiting: str | None = None):
        return nullcontext()

    def forget_leftovers(self) -> None:
        pass

    def exports(self) -> dict[str, str]:
        return dict(self._exports)


class NullBackend(Backend):
    name = "none"

    def read(self, key: str) -> dict | None:
        return None

    def write(self, key: str, data: dict) -> None:
        pass

    def delete(self, key: str) -> None:
        pass

    def keys(self) -> list[str]:
        return []

    def lock(self, key: str, waiting: str | None = None):
        return nullcontext()

    def forget_leftovers(self) -> None:
        pass

    def exports(self) -> dict[str, str]:
        return {}
