"""Running the demo's interactive shell on the user's terminal.

The shell is a plain child process sharing the terminal. It takes the
terminal's foreground for its own jobs, so Ctrl-C and Ctrl-Z reach the shell
and what runs in it, not the demo. The demo waits for the shell to end, and
ends it early when the demo itself is told to stop (SIGTERM, or SIGHUP when
the terminal goes away), so that cleanup always runs afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

# How long a shell gets to exit after SIGHUP before it is killed.
_GRACE_SECONDS = 5.0


class Stop(Exception):
    """The demo was asked to stop (SIGTERM or SIGHUP) while no shell was running."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``Stop``, so that ``finally`` blocks clean up."""

    def stop(signum, frame):
        raise Stop(signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_shell(argv: list[str], env: dict[str, str], cwd: str) -> int | None:
    """Run the interactive shell until it exits; returns the stop signal, if one came."""
    received: list[int] = []
    process: subprocess.Popen | None = None

    def forward(signum, frame):
        received.append(signum)

    # A Python handler, not SIG_IGN: the shell must not inherit an ignored
    # SIGINT (its commands could not be interrupted), and a handler is reset
    # to the default in the child. Ctrl-C reaches the demo only before the
    # shell has taken the terminal's foreground, and must not end the demo.
    handlers = {signal.SIGINT: lambda *_: None, signal.SIGTERM: forward, signal.SIGHUP: forward}
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        process = subprocess.Popen(argv, env=env, cwd=cwd)
        deadline = None
        while process.poll() is None:
            if received and deadline is None:
                # Interactive shells ignore SIGTERM but end, cleanly, on SIGHUP.
                process.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + _GRACE_SECONDS
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _take_back_terminal()
    return received[0] if received else None


def _take_back_terminal() -> None:
    """Make the demo's process group the terminal's foreground again.

    Shells hand the terminal back when they exit normally; a killed one
    cannot, and the demo's goodbye would then stop it with SIGTTOU.
    """
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd) or os.tcgetpgrp(fd) == os.getpgrp():
            return
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(fd, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, previous)
    except (OSError, ValueError):
        pass
