"""IAM Identity Center sign-ins, kept where the AWS CLI keeps them: ``~/.aws/sso/cache``.

One sign-in serves assume-role, the AWS CLI and every SDK, both ways: a
token the CLI wrote (``aws sso login``) is used without asking, and one
assume-role wrote is the CLI's and botocore's too. So the file is theirs, in
their format:

* named by the SHA-1 (hex) of the ``sso-session`` name, or of the start URL
  for a legacy profile, plus ``.json`` (botocore's ``SSOTokenLoader``);
* a JSON object: ``startUrl``, ``region``, ``accessToken``, ``expiresAt``
  (UTC, ``YYYY-MM-DDTHH:MM:SSZ``) and, for a sign-in that can be renewed,
  ``clientId``, ``clientSecret``, ``registrationExpiresAt`` and
  ``refreshToken`` (what botocore's ``SSOTokenProvider`` refreshes with).

The token is a bearer secret. A file is used only if it is a regular file of
this user that nobody else can read, of a bounded size, whose fields are what
they should be; anything else counts as no sign-in (with one warning), and a
new sign-in replaces it. Writes are atomic (a private temporary file in the
same directory, renamed), 0600, and only into a directory that is this
user's and that nobody else can write to.
"""

from __future__ import annotations

import os
from collections import namedtuple
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

from assume_role.state import paths
from assume_role.state.files import UnsafeFile, parse_json, read_text, sweep_temporary, warn, write_atomic

# A token file is a few kB; a larger one is not the CLI's.
MAX_BYTES = 64 * 1024
MAX_FIELD = 16 * 1024
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# ``registration_expires_at`` and ``expires_at`` are aware datetimes (UTC).
Token = namedtuple(
    "Token",
    ["start_url", "region", "access_token", "expires_at", "refresh_token", "client_id", "client_secret",
     "registration_expires_at"],
    defaults=(None, None, None, None),
)
Token.__repr__ = lambda self: f"Token(start_url={self.start_url!r}, expires_at={self.expires_at!r})"  # no secrets


def seconds_left(moment: datetime | None) -> float:
    return float("-inf") if moment is None else (moment - datetime.now(timezone.utc)).total_seconds()


def renewable(token: Token) -> bool:
    """Whether the token can be refreshed without a person: a refresh token and a live registration."""
    return bool(token.refresh_token and token.client_id and token.client_secret
                and seconds_left(token.registration_expires_at) > 60)


def directory() -> Path:
    # Where botocore and the AWS CLI look, under the home directory: no variable moves it.
    return Path.home() / ".aws" / "sso" / "cache"


def cache_path(key: str) -> Path:
    """The file of the sign-in named ``key`` (the sso-session name, or a legacy profile's start URL)."""
    import hashlib

    return directory() / (hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")


def read(key: str) -> Token | None:
    """The stored sign-in, if there is a sound one; None otherwise."""
    path = cache_path(key)
    try:
        # The CLI replaces the file by a rename, never a link: a link is not its file.
        text = read_text(path, ours=True, secret=True, limit=MAX_BYTES)
        data = None if text is None else parse_json(text)
    except UnsafeFile as exc:
        warn(f"ignoring the IAM Identity Center sign-in {path}: {exc}")
        return None
    if data is None:
        return None
    token = _parse(data)
    if token is None:
        warn(f"ignoring the IAM Identity Center sign-in {path}: it is not a token file of the AWS CLI")
    return token


def _parse(data: object) -> Token | None:
    if not isinstance(data, dict):
        return None
    fields = {name: data.get(name) for name in
              ("startUrl", "region", "accessToken", "clientId", "clientSecret", "refreshToken")}
    for name, value in fields.items():
        if value is not None and not _sound(value):
            return None
    expires = _time(data.get("expiresAt"))
    registration = _time(data.get("registrationExpiresAt")) if data.get("registrationExpiresAt") else None
    if not fields["accessToken"] or expires is None:
        return None
    return Token(fields["startUrl"], fields["region"], fields["accessToken"], expires, fields["refreshToken"],
                 fields["clientId"], fields["clientSecret"], registration)


def _sound(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_FIELD and value.isprintable()


def _time(value: object) -> datetime | None:
    """An ``expiresAt``: ``Z``, ``UTC`` (older CLIs) or an offset; a time without a zone is UTC."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith("UTC"):
        text = text[:-3]
    elif text.endswith("Z"):
        text = text[:-1]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return None


def render(token: Token) -> bytes:
    """The file's JSON, as the AWS CLI writes it (compact, the CLI's field names)."""
    import json

    data = {"startUrl": token.start_url, "region": token.region, "accessToken": token.access_token,
            "expiresAt": token.expires_at.astimezone(timezone.utc).strftime(_TIME_FORMAT)}
    if token.client_id and token.client_secret and token.registration_expires_at:
        data.update(clientId=token.client_id, clientSecret=token.client_secret,
                    registrationExpiresAt=token.registration_expires_at.astimezone(timezone.utc).strftime(_TIME_FORMAT))
    if token.refresh_token:
        data["refreshToken"] = token.refresh_token
    return json.dumps(data).encode("utf-8")


def write(key: str, token: Token) -> bool:
    """Keep the sign-in for the AWS CLI, the SDKs and later runs; False (and a warning) if it cannot be."""
    path = cache_path(key)
    if not _writable_directory(path.parent):
        return False
    try:
        write_atomic(path, render(token), mode=0o600)
    except OSError as exc:
        warn(f"cannot keep the IAM Identity Center sign-in in {path.parent}: {exc.strerror or exc}; "
             "it lasts for this run only")
        return False
    sweep_temporary(path.parent)
    return True


def remove(key: str) -> bool:
    """Forget the sign-in (logout); True if there was a file."""
    try:
        cache_path(key).unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        warn(f"cannot remove {cache_path(key)}: {exc.strerror}")
        return False
    return True


def _writable_directory(path: Path) -> bool:
    """Create ~/.aws/sso/cache 0700 if missing; refuse one that is not ours or that others may change."""
    import stat

    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = os.stat(path)
    except OSError as exc:
        warn(f"cannot keep the IAM Identity Center sign-in in {path}: {exc.strerror}; it lasts for this run only")
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        warn(f"not keeping the IAM Identity Center sign-in in {path}: it is not a directory of yours "
             "that only you can change; it lasts for this run only")
        return False
    return True


# How long a run waits for another one that is signing in: a person may take
# the whole life of a device code (AWS gives 10 minutes) to approve it.
SIGN_IN_LOCK_TIMEOUT = 15 * 60


@contextmanager
def lock(key: str, waiting: str | None = None, timeout: float = SIGN_IN_LOCK_TIMEOUT):
    """Held while signing in or refreshing, so parallel runs share one sign-in.

    In the tool's own cache directory, not the CLI's: the lock is this tool's
    business. Like the MFA session's lock it only saves work, so a lock that
    cannot be taken is a warning and the run goes on.
    """
    import hashlib

    from assume_role.state.files import private_directory
    from assume_role.state.store.locking import exclusive

    cache = paths.cache_dir()
    if not private_directory(cache):
        with nullcontext():
            yield
        return
    name = "sso-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".lock"
    with exclusive(cache / name, timeout=timeout, waiting=waiting):
        yield
