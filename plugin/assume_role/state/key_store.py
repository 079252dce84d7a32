"""The bastion's long-term keys in the OS keyring (``assume-role keys``).

Each profile's keys are one keyring item: service ``assume-role bastion
keys``, user name the profile, value one JSON object holding the key id and
the secret. One item written in one call, so a reader (a parallel run, a tool
through ``keys credential-process``, a rotation's own checks) sees the old
pair or the new one, never the id of one with the secret of the other.

Importing ``keyring`` and letting it discover its backends costs 100-200 ms,
so no run pays that for a profile whose keys are not there: an index in the
private state directory (``bastion-keys.json``: profile, key id, and the
backend holding the item; no secret) says which profiles are. A run reads
that small file, and the keyring only when it needs the secret itself (a
reused MFA session needs only the key id). Readers load the backend named in
the index directly: they ask the very backend the keys were written to, and
skip keyring's discovery.

A keyring that cannot be used is an error, one line with its fix, and never
a reason to write plaintext: keyring's fall-backs are not followed (of a
chain of backends only the first is used, so a refused write is not handed
on to the next), and a backend that keeps secrets in a plain file
(keyrings.alt's PlaintextKeyring) is used only when chosen by name, with
PYTHON_KEYRING_BACKEND or keyring's configuration file.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager

from assume_role.credentials import Credentials
from assume_role.errors import AssumeRoleError, CredentialsError
from assume_role.validate import printable
from assume_role.state import paths
from assume_role.state.files import load_optional, private_directory, warn, write_json_atomic

SERVICE = "assume-role bastion keys"
WHAT = "index of keyring-held keys"
INSTALL = "pipx inject assume-role keyring (or pip install 'assume-role[keyring]')"
# Long-term IAM user keys (AKIA...); temporary ones (ASIA...) need a token and expire.
KEY_ID = re.compile(r"AKIA[A-Z0-9]{12,124}")
_SECRET = re.compile(r"[\x21-\x7e]{16,128}")
_BACKEND_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
# Backends that keep secrets in a file anyone with the file can read, or keep nothing.
_NO_KEYRING = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


class KeyringUnusable(CredentialsError):
    """The keyring holding (or to hold) the keys cannot be used; the message says how to fix it."""


def valid_key_id(value: str) -> bool:
    return bool(KEY_ID.fullmatch(value))


def valid_secret(value: str) -> bool:
    return bool(_SECRET.fullmatch(value))


# -- the index -----------------------------------------------------------------


def index_path():
    return paths.state_dir() / "bastion-keys.json"


def _index() -> dict[str, dict[str, str]]:
    """Profile -> {"access_key_id", "backend"}, entries that are not both dropped."""
    entries = {}
    for profile, entry in load_optional(index_path(), WHAT).items():
        if not isinstance(entry, dict):
            continue
        key_id, backend = entry.get("access_key_id"), entry.get("backend")
        if not (isinstance(key_id, str) and isinstance(backend, str)):
            continue
        if valid_key_id(key_id) and _BACKEND_NAME.fullmatch(backend):
            entries[profile] = {"access_key_id": key_id, "backend": backend}
    return entries


def _save_index(entries: dict) -> None:
    """Write the index or fail: a profile missing from it would not find its keys."""
    path = index_path()
    if not private_directory(path.parent):
        raise AssumeRoleError(f"cannot keep {WHAT} in {printable(str(path.parent))}; nothing was changed")
    try:
        write_json_atomic(path, entries)
    except OSError as exc:
        raise AssumeRoleError(f"cannot write {printable(str(path))}: {exc.strerror or exc}") from None


class Held:
    """A profile whose keys are in the keyring, as the index names them (a key source, see ``aws.bastion``)."""

    where = "the OS keyring"

    def __init__(self, profile: str, access_key_id: str, backend: str):
        self.profile, self.access_key_id, self.backend = profile, access_key_id, backend

    def read(self) -> Credentials | None:
        """The pair in the keyring; None when the keyring no longer holds one for the profile."""
        keyring = _backend(self.backend)
        with _access():
            raw = _call(lambda: keyring.get_password(SERVICE, self.profile), "read the keys from", self.backend)
        if raw is None:
            return None
        keys = _parse(raw, self.profile)
        if keys.access_key_id != self.access_key_id:
            _correct(self, keys.access_key_id)
        return keys


def held(profile: str) -> Held | None:
    """The profile's entry in the index: only a small file is read, keyring is not imported."""
    entry = _index().get(profile)
    return Held(profile, entry["access_key_id"], entry["backend"]) if entry else None


def listed() -> list[Held]:
    return [Held(profile, entry["access_key_id"], entry["backend"]) for profile, entry in sorted(_index().items())]


def _correct(seen: Held, key_id: str) -> None:
    """The keyring holds another key than the index says (an index write that failed):
    the index follows, unless it changed since it was read (a rotation in between)."""
    entries = _index()
    if entries.get(seen.profile, {}).get("access_key_id") != seen.access_key_id:
        return
    entries[seen.profile] = {"access_key_id": key_id, "backend": seen.backend}
    try:
        _save_index(entries)
    except AssumeRoleError:
        pass  # found again on the next run


def _parse(raw: str, profile: str) -> Credentials:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    key_id = data.get("AccessKeyId") if isinstance(data, dict) else None
    secret = data.get("SecretAccessKey") if isinstance(data, dict) else None
    if not (isinstance(key_id, str) and valid_key_id(key_id) and isinstance(secret, str) and valid_secret(secret)):
        raise CredentialsError(
            f"the keyring item of profile {printable(profile)!r} is not a pair of keys assume-role wrote; "
            f"store them again with assume-role keys add {printable(profile)}"
        )
    return Credentials(key_id, secret)


# -- changing what is stored ----------------------------------------------------


@contextmanager
def changing(waiting: str | None = None):
    """Held by ``keys add``, ``remove`` and ``rotate``: one change of the stored keys at a time."""
    from assume_role.state.store.locking import exclusive

    directory = paths.state_dir()
    if not private_directory(directory):
        raise AssumeRoleError(f"cannot keep {WHAT} in {printable(str(directory))}; nothing was changed")
    with exclusive(directory / "bastion-keys.lock", waiting=waiting):
        yield


def chosen_backend() -> str:
    """The backend new keys go to: keyring's own choice, refused where it would not keep a secret."""
    keyring = _import()
    try:
        backend = keyring.get_keyring()
        # A chain passes a write a backend declines to the next one, down
        # to a plain file at worst: only its first (preferred) backend is used.
        from keyring.backends.chainer import ChainerBackend

        if isinstance(backend, ChainerBackend):
            chained = backend.backends
            backend = chained[0] if chained else None
    except Exception as exc:  # noqa: BLE001 (a backend's own failures have no common base)
        raise _unusable(exc, "choose", None) from None
    name = f"{type(backend).__module__}.{type(backend).__name__}" if backend is not None else _NO_KEYRING[0]
    if name in _NO_KEYRING:
        raise _no_keyring()
    if "plaintext" in name.lower() and not _named(name, keyring):
        raise KeyringUnusable(
            f"the only keyring backend available is {name}, which keeps secrets in a plain file: no safer than "
            "~/.aws/credentials, so nothing was stored; start a Secret Service (GNOME Keyring, KWallet) or "
            f"choose that backend on purpose with PYTHON_KEYRING_BACKEND={name}"
        )
    return name


def _named(name: str, keyring) -> bool:
    """Whether the user chose the backend by name rather than keyring picking it."""
    if os.environ.get("PYTHON_KEYRING_BACKEND") == name:
        return True
    try:
        configured = keyring.core.load_config()
    except Exception:  # noqa: BLE001 (a broken configuration names nothing)
        return False
    return configured is not None and f"{type(configured).__module__}.{type(configured).__name__}" == name


def save(profile: str, keys: Credentials, backend: str) -> Held:
    """Store the pair as the profile's one item, then index it. Call under ``changing``.

    The item is written before the index names it: a reader that finds the
    profile indexed finds its keys, and a failed write leaves the index as it was.
    """
    if not (valid_key_id(keys.access_key_id) and valid_secret(keys.secret_access_key)) or keys.session_token:
        raise CredentialsError("only an IAM user's long-term keys (AKIA...) are kept in the keyring")
    keyring = _backend(backend)
    value = json.dumps({"AccessKeyId": keys.access_key_id, "SecretAccessKey": keys.secret_access_key})
    with _access():
        _call(lambda: keyring.set_password(SERVICE, profile, value), "store the keys in", backend)
    entries = _index()
    before = entries.get(profile)
    entries[profile] = {"access_key_id": keys.access_key_id, "backend": backend}
    try:
        _save_index(entries)
    except AssumeRoleError:
        if before is None or before["backend"] != backend:  # nobody would find it: not left there either
            _forget(profile, backend)
            raise
        # The profile is indexed, with the old key id: the next read of the
        # item corrects that (``Held.read``). The new pair is what is stored.
        warn(f"could not record the new key id in {WHAT}; it is corrected on the next run")
    if before is not None and before["backend"] != backend:
        _forget(profile, before["backend"])  # moved to another backend: no second copy
    return Held(profile, keys.access_key_id, backend)


def remove(profile: str) -> Held | None:
    """Delete the profile's item and its index entry. Call under ``changing``."""
    entries = _index()
    entry = entries.get(profile)
    if entry is None:
        return None
    keyring = _backend(entry["backend"])
    errors = _import().errors

    def delete() -> None:
        try:
            keyring.delete_password(SERVICE, profile)
        except errors.PasswordDeleteError:
            pass  # already gone

    with _access():
        _call(delete, "delete the keys from", entry["backend"])
    del entries[profile]
    _save_index(entries)
    return Held(profile, entry["access_key_id"], entry["backend"])


def _forget(profile: str, backend: str) -> None:
    try:
        keyring = _backend(backend)
        with _access():
            keyring.delete_password(SERVICE, profile)
    except Exception:  # noqa: BLE001 (tidying up after a failure already reported)
        pass


def describe(backend: str) -> str:
    """A backend's name as people know it ("SecretService Keyring"), without loading it."""
    known = {
        "keyring.backends.SecretService.Keyring": "the Secret Service (GNOME Keyring, KWallet)",
        "keyring.backends.libsecret.Keyring": "the Secret Service through libsecret",
        "keyring.backends.kwallet.DBusKeyring": "KWallet",
        "keyring.backends.macOS.Keyring": "the macOS Keychain",
        "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Manager",
        "keyrings.alt.file.PlaintextKeyring": "keyrings.alt's plain-text file",
        "keyrings.alt.file.EncryptedKeyring": "keyrings.alt's encrypted file",
    }
    return known.get(backend, backend)


# -- the keyring library ----------------------------------------------------------


def _import():
    try:
        import keyring
        import keyring.core
        import keyring.errors
    except ImportError:
        raise KeyringUnusable(f"keys in the OS keyring need the keyring package: {INSTALL}") from None
    return keyring


def _backend(name: str):
    """The backend called ``name``, loaded directly (no discovery of the others)."""
    keyring = _import()
    try:
        return keyring.core.load_keyring(name)
    except Exception as exc:  # noqa: BLE001 (import errors, RuntimeError for a backend not viable here)
        raise _unusable(exc, "open", name) from None


@contextmanager
def _access():
    from assume_role.state.store.keyring import access

    with access():
        yield


def _call(action, doing: str, backend: str):
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 (backends raise their own types, OSError included)
        raise _unusable(exc, doing, backend) from None


def _no_keyring() -> KeyringUnusable:
    return KeyringUnusable(
        "no OS keyring is available: start one (GNOME Keyring or KWallet in a desktop or D-Bus session, the "
        "macOS Keychain) or name a backend with PYTHON_KEYRING_BACKEND; nothing was written in plain text"
    )


def _unusable(exc: Exception, doing: str, backend: str | None) -> KeyringUnusable:
    """One line for what went wrong with the keyring; never the library's text."""
    errors = _import().errors
    shown = describe(backend) if backend else "the OS keyring"
    if isinstance(exc, errors.NoKeyringError):
        return _no_keyring()
    if isinstance(exc, errors.KeyringLocked):
        return KeyringUnusable(
            f"the OS keyring ({shown}) is locked: unlock it (log in to the desktop session, or run "
            "gnome-keyring-daemon --unlock) and run again"
        )
    if doing == "choose":
        return KeyringUnusable(
            f"the keyring backend named by PYTHON_KEYRING_BACKEND or keyring's configuration cannot be loaded "
            f"({type(exc).__name__}); check the name, or unset it to let keyring choose"
        )
    if doing == "open":
        return KeyringUnusable(
            f"the keyring backend {shown} cannot be used here ({type(exc).__name__}): is its service running "
            f"(a D-Bus session for the Secret Service)? Or is the keyring package missing ({INSTALL})?"
        )
    written = "; nothing was written in plain text" if doing.startswith("store") else ""
    return KeyringUnusable(f"the OS keyring ({shown}) refused to {doing} it ({type(exc).__name__}){written}")
