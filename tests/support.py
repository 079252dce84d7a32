"""Running the real CLI the way a shell does: a child process, stdout captured."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import NoReturn

import pytest


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_cli(env: dict, *args: str, timeout: float = 60) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "assume_role", *args],
        env=env,
        stdin=subprocess.DEVNULL,  # never a terminal: nothing may wait on stdin
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def assert_clean_failure(run: Run, exit_code: int, *fragments: str) -> None:
    """The failure contract: exit code, nothing to eval, one line that explains."""
    assert run.returncode == exit_code, (run.returncode, run.stderr)
    assert run.stdout == "", run.stdout
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("assume-role: ")
    assert "Traceback" not in run.stderr
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])


def assert_no_secret(text: str, secrets: list[str], window: int = 16) -> None:
    """No issued key id, secret or token appears in ``text``, not even in part.

    A cut-short answer leaks a piece of a token, so every stretch of
    ``window`` characters of each secret is looked for.
    """
    for secret in secrets:
        pieces = {secret[i : i + window] for i in range(0, max(1, len(secret) - window + 1), 4)}
        leaked = [piece for piece in pieces if piece in text]
        assert not leaked, f"a piece of an issued secret reached the output: {text!r}"


def cannot_run(reason: str) -> NoReturn:
    """A test that cannot run on this machine: skipped, except in CI (CI set), where it fails.

    CI is where every test must run; a skip there would pass quietly.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, and CI must run every test", pytrace=False)
    pytest.skip(reason)


def require_root(why: str = "to give files away, mount, or act as another user") -> None:
    """The one check for root; CI runs as root, so there these tests always run."""
    if os.geteuid() != 0:
        cannot_run(f"needs root {why}")
