"""Finding, starting and asking the user's credential server.

Its state is one private file in the state directory (mode 0600 in a 0700
directory): the server's pid, its port and its token. Before anything is
sent, the socket at the other end must belong to this user (``local_peer``):
a server that died leaves its port free for anyone, and a binding carries
credentials.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from assume_role import local_peer
from assume_role.errors import AssumeRoleError, NetworkError, UsageError

STATE_NAME = "server.json"
LOCK_NAME = "server.lock"
START_SECONDS = 15.0
REQUEST_SECONDS = 10.0
MAX_ANSWER = 1024 * 1024


class ServerError(NetworkError):
    """The server could not be started or reached, or refused a request."""


class ServerGone(ServerError):
    """Nothing answered: the server has ended (it ends with its last binding)."""


class Endpoint(NamedTuple):
    pid: int
    port: int
    token: str

    def uri(self, binding: str) -> str:
        return f"http://127.0.0.1:{self.port}/role/{binding}"


def state_file() -> Path:
    from assume_role.state import paths

    return paths.state_dir() / STATE_NAME


def available() -> None:
    """The server needs the socket table to know who connects: UsageError where there is none."""
    if not local_peer.available():
        raise UsageError("the credential server needs Linux's socket table (/proc/net/tcp) to know who asks")


def running() -> Endpoint | None:
    """The running server's endpoint, from its state file; None if there is none or it has died."""
    from assume_role.state import files

    path = state_file()
    try:
        text = files.read_text(path, ours=True, secret=True, limit=4096)
    except files.UnsafeFile as exc:
        files.warn(f"ignoring {path}: {exc}")
        return None
    if text is None:
        return None
    try:
        data = json.loads(text)
        found = Endpoint(data["pid"], data["port"], data["token"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(found.pid, int) and isinstance(found.port, int) and isinstance(found.token, str)):
        return None
    return found if _alive(found.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def ensure(start: list[str], environment: dict[str, str]) -> Endpoint:
    """The running server, or a new one started with the command ``start``."""
    available()
    from assume_role.state import files
    from assume_role.state.store import locking

    directory = state_file().parent
    if not files.private_directory(directory):
        raise ServerError(f"the credential server keeps its state in {directory}, which cannot be used")
    # Two shells starting at once must end up with one server.
    with locking.exclusive(directory / LOCK_NAME, timeout=START_SECONDS):
        found = running()
        if found is not None:
            try:
                call(found, "status")
                return found
            except ServerError:
                pass  # dying, or its state outlived it: a new one takes its place
        _start(start, environment)
        found = running()
    if found is None:
        raise ServerError("the credential server did not start")
    return found


def _start(start: list[str], environment: dict[str, str]) -> None:
    try:
        process = subprocess.Popen(
            start, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, cwd="/",
        )
    except OSError as exc:
        raise ServerError(f"the credential server did not start: {exc.strerror}") from None
    try:
        import selectors

        with selectors.DefaultSelector() as waiting:
            waiting.register(process.stdout, selectors.EVENT_READ)
            ready = waiting.select(START_SECONDS) and process.stdout.readline() == b"ready\n"
    finally:
        process.stdout.close()
        process.wait()  # the first of its processes exits at once; the server is not ours to wait for
    if not ready:
        raise ServerError("the credential server did not start")


def call(endpoint: Endpoint, operation: str, payload: dict | None = None, timeout: float = REQUEST_SECONDS) -> dict:
    """One control request; ``ServerError`` with the server's own line when it refuses."""
    body = json.dumps(payload or {}).encode("utf-8")
    try:
        with socket.create_connection(("127.0.0.1", endpoint.port), timeout=timeout) as connection:
            _check_owner(connection)
            connection.sendall(
                f"POST /control/{operation} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {endpoint.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode("ascii") + body
            )
            status, answer = _answer(connection)
    except OSError as exc:
        raise ServerGone(f"cannot reach the credential server: {exc.strerror or 'no answer'}") from None
    if status != 200:
        message = answer.get("Message") if isinstance(answer, dict) else None
        raise ServerError(str(message or f"the credential server answered {status}").removeprefix("assume-role: "))
    return answer


def _check_owner(connection: socket.socket) -> None:
    """The listening end belongs to this user, else nothing is sent."""
    mine, theirs = connection.getsockname(), connection.getpeername()
    deadline = time.monotonic() + 2.0
    # The server's end is listed once it has accepted the connection.
    while (owner := local_peer.uid_of(theirs, mine)) is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if owner != os.geteuid():
        raise ServerError("the credential server's port belongs to another user; nothing was sent") from None


def _answer(connection: socket.socket) -> tuple[int, dict]:
    data = b""
    while len(data) <= MAX_ANSWER:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(body)
    except (IndexError, ValueError):
        raise ServerError("the credential server's answer could not be read") from None


def logout() -> bool:
    """Make the running server forget every role (``assume-role logout``); True if one was running.

    It keeps answering its bindings, with what to run, until they end.
    """
    found = running()
    if found is None:
        return False
    try:
        call(found, "logout")
        return True
    except AssumeRoleError:
        pass
    # Unreachable or not ours to ask: without its state file it ends by itself.
    try:
        state_file().unlink()
    except OSError:
        pass
    return True


def stop() -> bool:
    """Stop the running server; True if one was running."""
    found = running()
    if found is None:
        return False
    try:
        call(found, "stop")
    except AssumeRoleError:
        # Unreachable or not ours to ask: its state file goes, and a server
        # without its state file ends by itself.
        pass
    try:
        state_file().unlink()
    except OSError:
        pass
    return True


def binding_of(uri: str, endpoint: Endpoint | None) -> str | None:
    """The binding a URI names, if it is the running server's."""
    if endpoint is None or not uri.startswith(f"http://127.0.0.1:{endpoint.port}/role/"):
        return None
    name = uri.rsplit("/", 1)[1]
    return name if name.isalnum() else None


def unbind(uri: str, pid: str | None) -> None:
    """Stop serving the binding of ``uri`` to the process ``pid``; nothing when it is not the running server's."""
    found = running()
    name = binding_of(uri, found)
    if name is None or not (pid or "").isdigit():
        return
    try:
        call(found, "unbind", {"binding": name, "pid": int(pid)})
    except AssumeRoleError:
        pass  # gone already: nothing is served
