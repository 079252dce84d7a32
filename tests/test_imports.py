"""Paths that need no AWS call import no AWS or UI library."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("botocore", "boto3", "questionary", "prompt_toolkit", "keyring", "moto")

PROBE = """
import runpy, sys
sys.argv = ["assume-role", *{args!r}]
try:
    runpy.run_module("assume_role", run_name="__main__")
except SystemExit:
    pass
print("LOADED:", *sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})), file=sys.stderr)
"""


def loaded(env: dict, *args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args), heavy=HEAVY)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    return set(line.split()[1:])


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["--shell", "zsh", "clear"],
        ["init", "zsh"],
        ["__complete", "accounts"],
        ["status"],
        ["--shell", "bash", "nosuchalias", "read", "123456"],
    ],
    ids=lambda a: " ".join(a),
)
def test_cheap_paths_import_nothing_heavy(args, aws_env):
    assert loaded(aws_env, *args) == set()


def test_network_path_with_plain_keys_imports_nothing_heavy(aws_env, mfa_code):
    # A full MFA flow and a role switch: the standard-library client serves both.
    assert loaded(aws_env, "--shell", "bash", "production", "read", mfa_code()) == set()
    assert loaded(aws_env, "--shell", "bash", "--refresh", "staging", "admin") == set()


def test_other_bastion_profiles_use_botocore_but_no_ui(aws_env, mfa_code):
    # A setting the standard-library client does not follow sends the flow to botocore.
    env = dict(aws_env, AWS_STS_REGIONAL_ENDPOINTS="regional")
    assert loaded(env, "--shell", "bash", "production", "read", mfa_code()) == {"botocore"}
