"""The server itself: loopback HTTP, one token, each role held once and renewed before it ends.

Requests (HTTP/1.1, one per connection):

* ``GET /role/BINDING``: what an SDK asks. The answer is the container
  credentials document (``AccessKeyId``, ``SecretAccessKey``, ``Token``,
  ``Expiration``) of the role BINDING holds now, or an error whose
  ``Message`` is one line of ours saying what to run: SDKs show it.
* ``POST /control/OP``: the tool's own (``bind``, ``unbind``, ``status``,
  ``logout``, ``stop``), JSON in and out; see ``client``.

Every request must carry the token in ``Authorization`` (compared in constant
time) and come from a socket of this user: loopback is open to every user of
the machine, so the token is the guard and the socket table
(``local_peer``) the second one. A request head is at most 8 KiB, a body
256 KiB, a connection is given 5 seconds, at most 32 are served at once and
the server answers at most 100 requests a second (bursts of 200).

A role (a *slot*) is renewed by the ``renew`` callable the caller gives, ahead
of its end: 16 minutes before (SDKs ask again 15 minutes before the end), or
half-way through a shorter session. Once renewing needs a person (the MFA
session has ended, or was never kept), or once the sign-in session's end has
passed, the slot answers only its error, and tries again each minute: once
someone signs in again, the processes it serves go on. Each binding lives as long as the
process it names (a shell, or the command ``exec --server`` became); the
server ends with its last binding, on ``stop``, and when its state file is
gone. ``logout`` forgets every role at once.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

from assume_role import local_peer
from assume_role.credentials import Credentials

MAX_HEAD = 8 * 1024
MAX_BODY = 256 * 1024
CONNECTION_SECONDS = 5.0
MAX_CONNECTIONS = 32
RATE_PER_SECOND = 100.0
RATE_BURST = 200.0
# botocore asks again 15 minutes before the end (the JS SDK 5): renewed a
# minute before that, a role is never handed out twice near its end.
RENEW_BEFORE = 16 * 60
# Credentials this close to their end are not handed out: a request signed
# with them could arrive after it.
MIN_SECONDS_LEFT = 2.0
# A request that finds its role being renewed waits this long for it.
WAIT_FOR_RENEWAL = 10.0
RETRY_SECONDS = 30.0
# A role that needs a person is tried again this often (no AWS call is made
# without an MFA session): once someone signs in again in a terminal, the
# commands it serves go on without being restarted.
FINAL_RETRY_SECONDS = 60.0
# A server that nobody binds within this long after it started ends.
START_GRACE = 30.0
WATCH_SECONDS = 0.5

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 429: "Too Many Requests",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}


class Renewed(NamedTuple):
    """What one renewal brought: credentials, or the line to answer instead."""

    credentials: Credentials | None
    session_ends: datetime | None = None
    error: str | None = None
    # No later renewal can succeed without a person (the MFA session ended,
    # the role was refused): stop answering with the credentials held.
    final: bool = False


Renew = Callable[[dict], Renewed]


class Failure(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


def now() -> datetime:
    return datetime.now(timezone.utc)


class Slot:
    """One role, held once for every binding that names it, and renewed ahead of its end."""

    def __init__(self, key: str, spec: dict):
        self.key = key
        self.spec = spec  # label, account, role, region, environment, advice: see client.bind
        self.credentials: Credentials | None = None
        self.obtained = now()
        self.session_ends: datetime | None = None
        self.error: str | None = None
        self.final = False
        self.renewing = False
        self.retry_at = 0.0

    def adopt(self, credentials: Credentials, session_ends: datetime | None) -> None:
        if self.credentials is None or credentials.expiration >= self.credentials.expiration or self.final:
            self.credentials, self.obtained = credentials, now()
        self.session_ends = session_ends
        self.error, self.final, self.retry_at = None, False, 0.0

    def renew_at(self) -> float:
        """Epoch seconds from which the role is renewed."""
        if self.credentials is None:
            return 0.0
        lifetime = (self.credentials.expiration - self.obtained).total_seconds()
        return self.credentials.expiration.timestamp() - min(RENEW_BEFORE, max(lifetime, 0) / 2)

    def due(self, moment: float) -> bool:
        if self.renewing:
            return False
        return moment >= (self.retry_at if self.final else max(self.renew_at(), self.retry_at))

    def servable(self, moment: datetime) -> Credentials | None:
        credentials = self.credentials
        if self.final or credentials is None:
            return None
        if self.session_ends is not None and moment >= self.session_ends:
            return None
        return credentials if credentials.seconds_left(moment) > MIN_SECONDS_LEFT else None

    def ended_message(self) -> str:
        if self.error:
            return self.error
        if self.session_ends is not None and now() >= self.session_ends:
            return f"assume-role: the MFA session has ended: {self.spec.get('advice', 'run assume-role')}"
        return "assume-role: the role is being renewed; try again"


class Binding:
    """A shell or a command, and the slot it is served from now."""

    __slots__ = ("id", "pid", "pidfd", "slot")

    def __init__(self, pid: int, slot: str):
        self.id = secrets.token_hex(8)
        self.pid = pid
        self.slot = slot
        self.pidfd = _pidfd(pid)

    def alive(self) -> bool:
        if self.pidfd is not None:
            return not select.select([self.pidfd], [], [], 0)[0]
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _pidfd(pid: int) -> int | None:
    """A handle on the process that stays its own when the pid is reused (Linux 5.3)."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except ProcessLookupError:
        raise Failure(400, "NoSuchProcess", "assume-role: the process to serve has ended") from None
    except OSError:
        return None


class RateLimit:
    """A token bucket over every request, whoever sends it."""

    def __init__(self, rate: float = RATE_PER_SECOND, burst: float = RATE_BURST):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            moment = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
            self.stamp = moment
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Server:
    def __init__(self, listener: socket.socket, token: str, renew: Renew, state_file: Path):
        self.listener = listener
        self.token = token.encode("ascii")
        self.renew = renew
        self.state_file = state_file
        self.address = listener.getsockname()
        self.slots: dict[str, Slot] = {}
        self.bindings: dict[str, Binding] = {}
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.rate = RateLimit()
        self.started = time.monotonic()
        self.had_bindings = False
        self.on_stop: Callable[[], None] = lambda: None

    # -- life ------------------------------------------------------------------

    def run(self) -> None:
        for target in (self._renewer, self._watcher):
            threading.Thread(target=target, daemon=True).start()
        while True:
            try:
                connection, peer = self.listener.accept()
            except OSError:
                time.sleep(0.01)  # out of descriptors: let the open connections end
                continue
            if not self.connections.acquire(blocking=False):
                connection.close()
                continue
            threading.Thread(target=self._connection, args=(connection, peer), daemon=True).start()

    def stop(self) -> None:
        """End now: nothing more is answered, the state file goes, the socket closes with the process."""
        self.on_stop()

    def _watcher(self) -> None:
        """Drops bindings whose process ended; ends the server with the last one, or without its state file."""
        while True:
            time.sleep(WATCH_SECONDS)
            with self.lock:
                for binding in [b for b in self.bindings.values() if not b.alive()]:
                    self._drop(binding)
                lonely = not self.bindings and (self.had_bindings or time.monotonic() - self.started > START_GRACE)
                # Decided and done under the lock: a binding made meanwhile
                # either came first, or finds no server and starts another.
                if lonely or not self._state_is_ours():
                    self.stop()

    def _state_is_ours(self) -> bool:
        try:
            return json.loads(self.state_file.read_text()).get("pid") == os.getpid()
        except (OSError, ValueError, AttributeError):
            return False

    def _drop(self, binding: Binding) -> None:
        binding.close()
        del self.bindings[binding.id]
        if not any(b.slot == binding.slot for b in self.bindings.values()):
            # Nobody needs the role any more: its credentials leave memory.
            self.slots.pop(binding.slot, None)

    # -- renewal -----------------------------------------------------------------

    def _renewer(self) -> None:
        while True:
            with self.lock:
                moment = time.time()
                due = [slot for slot in self.slots.values() if slot.due(moment)]
                for slot in due:
                    slot.renewing = True
                if not due:
                    upcoming = [s.retry_at if s.final else max(s.renew_at(), s.retry_at)
                                for s in self.slots.values() if not s.renewing]
                    self.changed.wait(min([5.0] + [max(0.05, at - moment) for at in upcoming]))
                    continue
            for slot in due:
                threading.Thread(target=self._renew, args=(slot,), daemon=True).start()

    def _renew(self, slot: Slot) -> None:
        try:
            renewed = self.renew(slot.spec)
        except Exception:  # noqa: BLE001 - a renewal that broke is one more failed renewal
            renewed = Renewed(None, error="assume-role: renewing the role failed unexpectedly")
        with self.lock:
            slot.renewing = False
            if renewed.credentials is not None:
                slot.adopt(renewed.credentials, renewed.session_ends)
            elif renewed.final or slot.final:
                # It needs a person, or was logged out: nothing is served
                # until a renewal succeeds (a network failure meanwhile
                # leaves the reason as it was).
                if renewed.final or not slot.error:
                    slot.error = renewed.error
                slot.credentials, slot.final = None, True
                slot.retry_at = time.time() + FINAL_RETRY_SECONDS
            else:
                slot.error = renewed.error
                # Transient (the network): again soon, sooner for short sessions.
                left = slot.credentials.seconds_left() if slot.credentials else 0
                slot.retry_at = time.time() + min(RETRY_SECONDS, max(1.0, left / 4))
            self.changed.notify_all()

    # -- requests ----------------------------------------------------------------

    def _connection(self, connection: socket.socket, peer: tuple) -> None:
        try:
            connection.settimeout(CONNECTION_SECONDS)
            try:
                status, body = self._answer(connection, peer)
            except Failure as failure:
                status, body = failure.status, {"Code": failure.code, "Message": str(failure)}
            connection.sendall(_response(status, body))
        except OSError:
            pass
        finally:
            connection.close()
            self.connections.release()

    def _answer(self, connection: socket.socket, peer: tuple) -> tuple[int, dict]:
        if not self.rate.take():
            raise Failure(429, "Throttling", "assume-role: too many requests to the credential server")
        request = _read(connection)
        offered = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(offered, self.token):
            raise Failure(401, "AccessDenied", "assume-role: this credential server answers only with its token")
        if local_peer.uid_of(peer, self.address) != os.geteuid():
            raise Failure(403, "AccessDenied", "assume-role: this credential server answers only its own user")
        parts = request.path.split("/")
        if len(parts) == 3 and parts[1] == "role" and request.method == "GET":
            return 200, self._credentials(parts[2])
        if len(parts) == 3 and parts[1] == "control" and request.method == "POST":
            return 200, self._control(parts[2], _json(request.body))
        raise Failure(404, "NotFound", "assume-role: no such path on the credential server")

    def _credentials(self, binding_id: str) -> dict:
        deadline = time.monotonic() + WAIT_FOR_RENEWAL
        with self.lock:
            while True:
                binding = self.bindings.get(binding_id)
                if binding is None:
                    raise Failure(404, "NotFound",
                                  "assume-role: this endpoint serves no role: its shell or command has ended")
                slot = self.slots[binding.slot]
                moment = now()
                credentials = slot.servable(moment)
                if credentials is not None:
                    return _document(credentials, slot.session_ends)
                if slot.final or (slot.session_ends is not None and moment >= slot.session_ends):
                    raise Failure(403, "ExpiredToken", slot.ended_message())
                if not slot.renewing:
                    slot.retry_at = 0.0  # wanted now: renew at once, not after the back-off
                    self.changed.notify_all()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(503, "ServiceUnavailable", slot.ended_message())
                self.changed.wait(left)

    # -- control -----------------------------------------------------------------

    def _control(self, operation: str, payload: dict) -> dict:
        if operation == "bind":
            return self._bind(payload)
        with self.lock:
            if operation == "unbind":
                # Only the process itself lets its binding go.
                binding = self.bindings.get(str(payload.get("binding")))
                if binding is not None and binding.pid == payload.get("pid"):
                    self._drop(binding)
                    return {"unbound": True}
                return {"unbound": False}
            if operation == "status":
                return self._status()
            if operation == "logout":
                return self._logout()
        if operation == "stop":
            threading.Thread(target=self._stop_soon, daemon=True).start()
            return {"stopping": True}
        raise Failure(404, "NotFound", f"assume-role: no control operation {operation[:40]!r}")

    def _stop_soon(self) -> None:
        time.sleep(0.05)  # the answer goes out first
        self.stop()

    def _bind(self, payload: dict) -> dict:
        pid = payload.get("pid")
        spec = payload.get("slot")
        if not (isinstance(pid, int) and pid > 1 and isinstance(spec, dict) and isinstance(spec.get("key"), str)):
            raise Failure(400, "BadRequest", "assume-role: a binding needs a pid and a slot")
        credentials, session_ends = _credentials_of(payload)
        with self.lock:
            slot = self.slots.get(spec["key"])
            if slot is None:
                slot = self.slots[spec["key"]] = Slot(spec["key"], spec)
            else:
                slot.spec = spec  # the newest environment renews it from now on
            if credentials is not None:
                slot.adopt(credentials, session_ends)
            binding = self.bindings.get(str(payload.get("binding")))
            if binding is not None and binding.pid == pid:
                previous, binding.slot = binding.slot, slot.key
                if not any(b.slot == previous for b in self.bindings.values()):
                    self.slots.pop(previous, None)
            else:
                binding = Binding(pid, slot.key)
                self.bindings[binding.id] = binding
                self.had_bindings = True
            self.changed.notify_all()
            return {"binding": binding.id}

    def _logout(self) -> dict:
        """Forget every role: from now on each binding is answered with what to run."""
        for slot in self.slots.values():
            slot.credentials, slot.final = None, True
            slot.error = f"assume-role: you logged out: {slot.spec.get('advice', 'run assume-role')}"
            slot.retry_at = time.time() + FINAL_RETRY_SECONDS
        self.changed.notify_all()
        return {"forgotten": len(self.slots)}

    def _status(self) -> dict:
        moment = now()
        listed = []
        for binding in self.bindings.values():
            slot = self.slots[binding.slot]
            credentials = slot.servable(moment)
            listed.append({
                "binding": binding.id,
                "pid": binding.pid,
                "label": slot.spec.get("label"),
                "expiration": _iso(credentials.expiration) if credentials else None,
                "session_ends": _iso(slot.session_ends) if slot.session_ends else None,
                "error": None if credentials else slot.ended_message(),
            })
        return {"pid": os.getpid(), "port": self.address[1], "bindings": listed}


def _credentials_of(payload: dict) -> tuple[Credentials | None, datetime | None]:
    try:
        data = payload.get("credentials")
        credentials = Credentials.from_dict(data) if data is not None else None
        ends = payload.get("session_ends")
        session_ends = datetime.fromisoformat(ends.replace("Z", "+00:00")) if isinstance(ends, str) else None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        raise Failure(400, "BadRequest", "assume-role: damaged credentials in a binding") from None
    if credentials is not None and (credentials.expiration is None or not credentials.session_token):
        raise Failure(400, "BadRequest", "assume-role: only temporary credentials are served")
    return credentials, session_ends


def _document(credentials: Credentials, session_ends: datetime | None) -> dict:
    """The container credentials document.

    It names an end no later than the sign-in session's, so SDKs come back
    for the error rather than use the keys past it, and no later than
    RENEW_BEFORE from now: SDKs ask again that long before the end they were
    told (botocore 15 minutes, the JS SDK 5), so a process started from a
    served shell takes up a role switch within a minute or so.
    """
    expiration = min(credentials.expiration, now() + timedelta(seconds=RENEW_BEFORE))
    if session_ends is not None:
        expiration = min(expiration, session_ends)
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token,
        "Expiration": _iso(expiration),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _read(connection: socket.socket) -> Request:
    """One request, within the size and time bounds."""
    deadline = time.monotonic() + CONNECTION_SECONDS
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            raise Failure(431, "BadRequest", "assume-role: request head too large")
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = connection.recv(4096)
        if not chunk:
            raise OSError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if len(head) > MAX_HEAD:
        raise Failure(431, "BadRequest", "assume-role: request head too large")
    lines = head.decode("latin-1").split("\r\n")
    words = lines[0].split(" ")
    if len(words) != 3 or not words[2].startswith("HTTP/1."):
        raise Failure(400, "BadRequest", "assume-role: not an HTTP request")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise Failure(400, "BadRequest", "assume-role: a damaged header")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise Failure(400, "BadRequest", "assume-role: send a Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise Failure(400, "BadRequest", "assume-role: a damaged Content-Length") from None
    if not 0 <= length <= MAX_BODY:
        raise Failure(413, "BadRequest", "assume-role: request body too large")
    while len(body) < length:
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = connection.recv(min(65536, length - len(body)))
        if not chunk:
            raise OSError("closed")
        body += chunk
    return Request(words[0], words[1].split("?", 1)[0], headers, body[:length])


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise Failure(400, "BadRequest", "assume-role: the body is not JSON") from None
    if not isinstance(value, dict):
        raise Failure(400, "BadRequest", "assume-role: the body is not a JSON object")
    return value


def _response(status: int, body: dict) -> bytes:
    data = json.dumps(body).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + data
