"""Sessions in the system keyring (macOS Keychain, Secret Service, Windows).

The keyring API cannot list entries, so the keys (no secrets in them) are
indexed in a private file beside the file backend's, for ``logout``.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from assume_role import paths
from assume_role.state_files import read_json, write_json_atomic
from assume_role.store import warn
from assume_role.store.locking import exclusive

SERVICE = "assume-role"


class KeyringBackend:
    name = "keyring"

    def __init__(self):
        try:
            import keyring
            import keyring.errors
        except ImportError:
            from assume_role.errors import UsageError

            raise UsageError("ASSUME_ROLE_CACHE=keyring needs the keyring package: pip install 'assume-role[keyring]'") from None
        self._keyring = keyring
        self._errors = keyring.errors
        self._index = paths.cache_dir() / "keyring-index.json"
        # One run touches the keyring several times: one warning is enough,
        # and with no keyring at all there is nothing more to try.
        self._warned = False
        self._missing = False

    def _trouble(self, action: str, exc: Exception) -> None:
        if isinstance(exc, self._errors.NoKeyringError):
            self._missing = True
            message = (
                "no system keyring is available for ASSUME_ROLE_CACHE=keyring: sessions are not kept; "
                "install a keyring backend or set ASSUME_ROLE_CACHE=file"
            )
        else:
            # The library's text can run over several lines: keep its first.
            detail = "".join(c if c.isprintable() else " " for c in (str(exc).splitlines() or [""])[0])[:160]
            message = f"cannot {action} the keyring ({type(exc).__name__}: {detail}); going on without it"
        if not self._warned:
            self._warned = True
            warn(message)

    def read(self, key: str) -> dict | None:
        if self._missing:
            return None
        try:
            raw = self._keyring.get_password(SERVICE, key)
        except self._errors.KeyringError as exc:
            self._trouble("read", exc)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            warn("ignoring a damaged keyring entry; it will be rebuilt")
            return None
        return data if isinstance(data, dict) else None

    def write(self, key: str, data: dict) -> None:
        if self._missing:
            return
        try:
            self._keyring.set_password(SERVICE, key, json.dumps(data))
        except self._errors.KeyringError as exc:
            self._trouble("write to", exc)
            return
        self._reindex(add=key)

    def delete(self, key: str) -> None:
        if self._missing:
            return
        try:
            self._keyring.delete_password(SERVICE, key)
        except self._errors.PasswordDeleteError:
            pass
        except self._errors.KeyringError as exc:
            self._trouble("delete from", exc)
        self._reindex(remove=key)

    def keys(self) -> list[str]:
        return [k for k in read_json(self._index, list) if isinstance(k, str)]

    @contextmanager
    def lock(self, key: str):
        self._index.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with exclusive(self._index.with_name("keyring.lock")):
            yield

    def _reindex(self, add: str | None = None, remove: str | None = None) -> None:
        keys = [k for k in self.keys() if k not in (add, remove)]
        if add:
            keys.append(add)
        try:
            write_json_atomic(self._index, keys)
        except OSError as exc:
            warn(f"cannot update {self._index}: {exc.strerror}")

    def exports(self) -> dict[str, str]:
        return {}
