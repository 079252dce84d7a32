"""Paths that need no AWS call import no AWS or UI library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assume_role.accounts import index as accounts_index

HEAVY = ("botocore", "boto3", "questionary", "prompt_toolkit", "keyring", "moto")

# Standard modules a Tab has no use for, each a few milliseconds of every Tab
# (argparse brings locale and shutil; hashlib loads OpenSSL).
NOT_ON_TAB = ("argparse", "locale", "shutil", "typing", "tempfile", "hashlib")

# What the run loaded, not what the interpreter's start-up had loaded already.
PROBE = """
import runpy, sys
before = set(sys.modules)
sys.argv = ["assume-role", *{args!r}]
try:
    runpy.run_module("assume_role", run_name="__main__")
except SystemExit:
    pass
print("LOADED:", *sorted({{m.split(".")[0] for m in set(sys.modules) - before}} & set({watch!r})), file=sys.stderr)
"""


def probe(env: dict, *args: str, watch: tuple[str, ...] = HEAVY) -> tuple[str, set[str]]:
    """Run ``assume-role ARGS``: what it printed on stdout, and which of ``watch`` it loaded."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args), watch=watch)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("LOADED:")]
    return result.stdout, set(line.split()[1:])


def loaded(env: dict, *args: str, watch: tuple[str, ...] = HEAVY) -> set[str]:
    return probe(env, *args, watch=watch)[1]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["--shell", "zsh", "clear"],
        ["init", "zsh"],
        ["__complete", "accounts"],
        ["status"],
        ["status", "--json"],
        ["accounts", "list"],
        ["accounts", "list", "--json"],
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


@pytest.mark.parametrize("words", [[""], ["team-00001", ""]], ids=["first word", "role"])
def test_tab_loads_no_standard_module_it_does_not_need(words, aws_env, tmp_path):
    # A file large enough to be read through its index, as the shells run it.
    path = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    path.write_text(json.dumps({f"team-{n:05d}": {"id": f"{200000000000 + n:012d}", "roles": ["read"]}
                                for n in range(10000)}))
    assert path.stat().st_size > accounts_index.INDEX_THRESHOLD
    old = time.time() - 60  # a file just written is not indexed
    os.utime(path, (old, old))
    tab = ["__complete", "--shell", "zsh", "--", *words]
    loaded(aws_env, *tab)  # builds the index, as the first Tab after a change does
    assert list(Path(aws_env["XDG_CACHE_HOME"], "assume-role").glob("accounts-*.idx"))
    assert loaded(aws_env, *tab, watch=NOT_ON_TAB + HEAVY) == set()


def test_keys_in_the_keyring_cost_keyring_only_when_the_secret_is_needed(aws_env, mfa_code):
    env = dict(aws_env, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    added = subprocess.run([sys.executable, "-m", "assume_role", "keys", "add", "--from-credentials-file"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    # The full MFA flow reads the secret: keyring, never botocore.
    assert loaded(env, "--shell", "bash", "production", "read", mfa_code()) == {"keyring"}
    # A role switch on the stored MFA session needs only the key id, from the index.
    assert loaded(env, "--shell", "bash", "--refresh", "staging", "admin") == set()
    for args in (["status"], ["status", "--json"], ["keys", "list"], ["__complete", "keys", "rotate", ""]):
        assert loaded(env, *args) == set(), args
