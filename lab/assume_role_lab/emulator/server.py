"""Running the strict emulator: in this process (``serve``) or as a child process.

Tests, benchmarks and the demo all talk to the emulator over HTTP on loopback,
exactly as the real tool talks to AWS. Running it in a separate process keeps
moto's import time and global state out of the process under test, and lets
several test processes or shells share one emulator.
"""

from __future__ import annotations

import logging
import os
import secrets
import selectors
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from .control import Control

HOST = "127.0.0.1"
# The directory holding the assume_role_lab package, for children that lack an install.
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _admin_key():
    from .state import AdminKey

    alphabet = string.ascii_uppercase + string.digits
    return AdminKey(
        access_key_id="AKIA" + "".join(secrets.choice(alphabet) for _ in range(16)),
        secret_access_key=secrets.token_urlsafe(30),
    )


def build_app():
    """moto's server app wrapped in the strict layer."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    from .state import LayerState
    from .strict import StrictLayer

    moto_app = DomainDispatcherApplication(create_backend_app)
    # Build the STS and IAM backends now rather than inside the first request,
    # where concurrent first requests would all queue behind moto's app lock.
    for service in ("sts", "iam"):
        moto_app.app_instances[service] = create_backend_app(service)
    return StrictLayer(moto_app, LayerState(admin=_admin_key()))


# The WSGI environ key holding the request's headers as sent (see _handler).
RAW_HEADERS = "assume_role_lab.raw_headers"


def _handler():
    """werkzeug's request handler, also keeping the headers as they were sent.

    werkzeug drops every header whose name holds an underscore from the WSGI
    environ (CGI variables cannot tell ``_`` from ``-``), and IAM Identity
    Center's portal takes its token in ``x-amz-sso_bearer_token``.
    """
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def make_environ(self):
            environ = super().make_environ()
            environ[RAW_HEADERS] = [(name.lower(), value) for name, value in self.headers.items()]
            return environ

    return Handler


def serve(port: int = 0, host: str = HOST, *, on_ready: Callable[[str], None] | None = None,
          stop: threading.Event | None = None, verbose: bool = False) -> None:
    """Serve until ``stop`` is set (or forever); ``on_ready(endpoint)`` once listening."""
    from werkzeug.serving import make_server

    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = build_app()
    # threaded: every request gets its own thread, so concurrent clients and
    # injected delays do not hold each other up.
    server = make_server(host, port, app, threaded=True, request_handler=_handler())
    endpoint = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="emulator", daemon=True)
    thread.start()
    try:
        if on_ready is not None:
            on_ready(endpoint)
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        thread.join(timeout=5)


class Emulator:
    """A strict emulator running in a child process."""

    def __init__(self, process: subprocess.Popen, endpoint: str, log_path: Path) -> None:
        self.process = process
        self.endpoint = endpoint
        self.log_path = log_path
        self.control = Control(endpoint)

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                if stream:
                    stream.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulator(endpoint={self.endpoint!r}, pid={self.process.pid})"


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    # MOTO_ACCOUNT_ID would override the account of every request in moto.
    env.pop("MOTO_ACCOUNT_ID", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_PARENT), env.get("PYTHONPATH")]))
    return env


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def start_emulator(port: int = 0, *, log_path: str | Path | None = None, timeout: float = 60.0) -> Emulator:
    """Start the emulator in a child process and return once it answers.

    The child exits when its stdin closes, so an interrupted test run does not
    leave a server behind. Its log (stderr) goes to ``log_path`` or a temp file.
    """
    if log_path is None:
        handle, name = tempfile.mkstemp(prefix="assume-role-emulator-", suffix=".log")
        os.close(handle)
        log_path = name
    log_path = Path(log_path)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assume_role_lab.emulator", "--port", str(port), "--exit-with-parent"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=_child_environment(),
        )
    deadline = time.monotonic() + timeout
    try:
        endpoint = _read_ready_line(process, deadline)
        emulator = Emulator(process, endpoint, log_path)
        while True:
            try:
                if emulator.control.health():
                    return emulator
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("emulator did not answer its health check")
            time.sleep(0.05)
    except BaseException as error:
        process.kill()
        process.wait()
        raise RuntimeError(f"emulator failed to start: {error}\n{_log_tail(log_path)}") from error


def _read_ready_line(process: subprocess.Popen, deadline: float) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("emulator did not report its endpoint in time")
            if selector.select(remaining):
                line = process.stdout.readline().decode("utf-8").strip()
                if line.startswith("http://"):
                    return line
                if not line and process.poll() is not None:
                    raise RuntimeError(f"emulator exited with status {process.returncode}")


def run_cli(port: int, *, seed_json: str | None, exit_with_parent: bool, verbose: bool) -> None:
    """What ``python -m assume_role_lab.emulator`` does."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if exit_with_parent:
        def watch_stdin() -> None:
            # os.read, not sys.stdin: a daemon thread blocked inside the buffered
            # reader would hold its lock and make interpreter shutdown abort.
            while os.read(0, 4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    def ready(endpoint: str) -> None:
        if seed_json:
            from .world import seed_world

            world = seed_world(endpoint)
            Path(seed_json).write_text(world.to_json() + "\n")
        # The first line on stdout is the contract with start_emulator and scripts.
        print(endpoint, flush=True)

    serve(port, on_ready=ready, stop=stop, verbose=verbose)
