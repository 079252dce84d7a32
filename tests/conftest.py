"""Shared fixtures: one strict AWS emulator per test session, and sandboxes for the CLI.

Tests that never ask for ``emulator`` (directly or through ``world``,
``aws_env`` or ``mfa_code``) do not start it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "plugin"
LAB_DIR = ROOT / "lab"
# Test the working tree's packages (the tool, and the lab with the emulator), installed or not.
for directory in (LAB_DIR, PLUGIN_DIR):
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))

from assume_role_lab.emulator import Emulator, SsoWorld, World, seed_identity_center, seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import write_sandbox  # noqa: E402
from support import require_root  # noqa: E402


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The strict emulator (moto behind the strict layer) in a child process."""
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    running = start_emulator(log_path=log_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def world(emulator: Emulator) -> World:
    """The bastion user alice with MFA, and production/staging roles read and admin."""
    return seed_world(emulator.endpoint)


@pytest.fixture(scope="session")
def sso_world(emulator: Emulator, world: World) -> SsoWorld:
    """IAM Identity Center: alice@example.com's permission sets in production, staging and the bastion account."""
    return seed_identity_center(emulator.endpoint, world)


@pytest.fixture(autouse=True)
def _fresh_emulator_counters(request: pytest.FixtureRequest) -> None:
    # Faults and call counts of one test must not leak into the next. Only
    # tests that use the emulator pay for the reset (one loopback request).
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").control.reset()


@pytest.fixture
def mfa_code(emulator: Emulator, world: World):
    """Call it to get a fresh single-use MFA code (alice's device unless a serial is given)."""

    def mint(serial: str | None = None) -> str:
        return emulator.control.mfa_code(serial or world.mfa_serial)

    return mint


@pytest.fixture
def fault_proxy(emulator: Emulator):
    """A proxy in front of the emulator that damages chosen answers (see fault_proxy.py)."""
    from fault_proxy import FaultProxy

    proxy = FaultProxy(emulator.endpoint)
    yield proxy
    proxy.close()


@pytest.fixture
def root() -> None:
    """Use it (``@pytest.mark.usefixtures("root")``) for tests that need root: see support.require_root."""
    require_root()


@pytest.fixture
def aws_env(tmp_path: Path, emulator: Emulator, world: World) -> dict[str, str]:
    """A complete environment for running the CLI against the emulator in a sandbox.

    Nothing AWS-related leaks in from the outer environment; the MFA serial is
    deliberately not given, the tool has to discover it.
    """
    return write_sandbox(tmp_path, world, endpoint=emulator.endpoint)
