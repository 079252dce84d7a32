"""Fixtures for the shell plugin tests (helpers live in helpers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SHELLS, require, sandbox_env, write_helper


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> str:
    require(request.param)
    return request.param


@pytest.fixture
def helper(tmp_path: Path) -> Path:
    """An assume-role program that runs this checkout's package."""
    return write_helper(tmp_path / "bin")


@pytest.fixture
def offline_env(tmp_path: Path, helper: Path) -> dict[str, str]:
    """A sandbox with an accounts file and role history, and no AWS endpoint at all."""
    env = sandbox_env(tmp_path, ASSUME_ROLE_COMMAND=str(helper))
    accounts = Path(env["ASSUME_ROLE_ACCOUNTS_FILE"])
    accounts.parent.mkdir(parents=True, exist_ok=True)
    accounts.write_text(
        json.dumps(
            {
                "production": {"id": "111111111111", "roles": ["read", "admin"], "region": "eu-west-1"},
                "staging": "222222222222",
                "sandbox": "012345678901",
            }
        )
    )
    state = Path(env["XDG_STATE_HOME"]) / "assume-role"
    state.mkdir(parents=True, exist_ok=True)
    (state / "history.json").write_text(json.dumps({"roles": {"222222222222": ["deploy"]}}))
    return env
