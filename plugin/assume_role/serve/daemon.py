"""The server as a process of its own: nobody's child, and never leaving its state behind.

``client.ensure`` starts ``assume-role __server run``, which calls ``run``
here. That process forks twice and exits, so the server is not a child of the
shell or of the command ``exec --server`` becomes (a program that waits for
all its children would wait for it). The first fork stays as a small
supervisor that only waits: when the server dies, even by ``kill -9``, the
supervisor removes the state file. The server, for its part, is sent SIGTERM
if the supervisor dies, and removes it itself. Either way the listening
socket closes with the server's process.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
from pathlib import Path
from typing import NoReturn

from assume_role.serve.server import Renew, Server

READY = b"ready\n"


def run(state_file: Path, renew: Renew) -> NoReturn:
    """Start the server; "ready" goes to stdout (the starter's pipe) once its state file is written."""
    ready = os.dup(1)
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    os.close(quiet)
    if os.fork():
        os._exit(0)
    supervisor = os.getpid()
    server = os.fork()
    if server == 0:
        _serve(state_file, renew, ready, supervisor)
    os.close(ready)
    _supervise(server, state_file)


def _supervise(server: int, state_file: Path) -> NoReturn:
    while True:
        try:
            os.waitpid(server, 0)
            break
        except ChildProcessError:
            break
    remove_state(state_file, server)
    os._exit(0)


def _serve(state_file: Path, renew: Renew, ready: int, supervisor: int) -> NoReturn:
    try:
        _die_with(supervisor)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))  # loopback only, a port nobody chose
        listener.listen(64)
        token = secrets.token_urlsafe(32)
        server = Server(listener, token, renew, state_file)

        def stop(*_) -> NoReturn:
            remove_state(state_file, os.getpid())
            os._exit(0)

        server.on_stop = stop
        signal.signal(signal.SIGTERM, stop)
        from assume_role.state import files

        state = {"pid": os.getpid(), "port": listener.getsockname()[1], "token": token, "supervisor": supervisor}
        files.write_json_atomic(state_file, state)
        os.write(ready, READY)
        os.close(ready)
    except BaseException:  # noqa: BLE001 - the starter says the server did not start
        os._exit(1)
    server.run()
    os._exit(0)


def _die_with(parent: int) -> None:
    """SIGTERM when ``parent`` dies (Linux); the server then cleans up as on any stop."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request was made
        os._exit(0)


def remove_state(state_file: Path, pid: int) -> None:
    """Remove the state file if it still names ``pid`` (a newer server's is left alone)."""
    try:
        if json.loads(state_file.read_text()).get("pid") == pid:
            state_file.unlink()
    except (OSError, ValueError, AttributeError):
        pass
