"""Sessions in the system keyring (macOS Keychain, Secret Service, Windows).

The keyring API cannot list entries, so the keys (no secrets in them) are
indexed in a private file beside the file backend's, for ``logout``. Every
keyring access and index update happens under one lock file: keyring backends
such as keyrings.alt's files rewrite one file per change, and the index is
read, changed and written, so unlocked parallel runs would lose each other's
entries (and their sessions, and then ask AWS again). The bastion's keys
(``state.key_store``) may live in the same keyring file: their accesses take
the same lock (``access``).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from assume_role.state import paths
from assume_role.state.files import load_optional, private_directory, save_optional, sweep_temporary, warn
from assume_role.state.store.locking import exclusive
from assume_role.state.store.backend import Backend

SERVICE = "assume-role"
WHAT = "keyring index"
ACCESS_LOCK = "keyring-access.lock"


@contextmanager
def access():
    """Held around each keyring access of the tool's, sessions and bastion keys alike."""
    directory = paths.cache_dir()
    if not private_directory(directory):
        yield
        return
    with exclusive(directory / ACCESS_LOCK):
        yield


class KeyringBackend(Backend):
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
        self._directory = paths.cache_dir()
        self._index = self._directory / "keyring-index.json"
        self._usable: bool | None = None
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

    def _ready(self) -> bool:
        if self._usable is None:
            self._usable = private_directory(self._directory)
        return self._usable

    @contextmanager
    def _access(self):
        """Held for each keyring access and index update (see the module's doc)."""
        if not self._ready():
            yield
            return
        with access():
            yield

    def read(self, key: str) -> dict | None:
        if self._missing:
            return None
        try:
            with self._access():
                raw = self._keyring.get_password(SERVICE, key)
        except self._errors.KeyringError as exc:
            self._trouble("read", exc)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            warn("ignoring a damaged keyring entry; it will be rebuilt")
            return None
        return data if isinstance(data, dict) else None

    def write(self, key: str, data: dict) -> None:
        if self._missing:
            return
        with self._access():
            # Indexed first: an entry that logout could not find must not exist.
            if not self._reindex(add=key):
                warn("not keeping the session in the keyring: logout could not find it; this one lasts for this run only")
                return
            try:
                self._keyring.set_password(SERVICE, key, json.dumps(data))
            except self._errors.KeyringError as exc:
                self._trouble("write to", exc)

    def delete(self, key: str) -> None:
        if self._missing:
            return
        with self._access():
            try:
                self._keyring.delete_password(SERVICE, key)
            except self._errors.PasswordDeleteError:
                pass
            except self._errors.KeyringError as exc:
                self._trouble("delete from", exc)
                return
            self._reindex(remove=key)

    def keys(self) -> list[str]:
        with self._access():
            return self._indexed()

    def _indexed(self) -> list[str]:
        if not self._ready():
            return []
        return [k for k in load_optional(self._index, WHAT, list) if isinstance(k, str)]

    def forget_leftovers(self) -> None:
        if self._ready():
            sweep_temporary(self._directory, older_than=0)

    @contextmanager
    def lock(self, key: str, waiting: str | None = None):
        if not self._ready():
            yield
            return
        with exclusive(self._directory / "keyring.lock", waiting=waiting):
            yield

    def _reindex(self, add: str | None = None, remove: str | None = None) -> bool:
        if not self._ready():
            return False
        keys = [k for k in self._indexed() if k not in (add, remove)]
        if add:
            keys.append(add)
        return save_optional(self._index, keys)

    def exports(self) -> dict[str, str]:
        return {}
