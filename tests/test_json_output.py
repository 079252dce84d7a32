"""`status --json` and `accounts list --json` against the schemas the README documents."""

from __future__ import annotations

import json
import re
import sys
import time

import jsonschema
from pathlib import Path
import pytest

from support import run_cli
from test_assume import eval_line, shell_session
from test_readme import README


def documented_schema(command: str) -> dict:
    """The JSON Schema in the README's code block right after the line naming ``command``."""
    match = re.search(rf"^`{re.escape(command)}`[^\n]*:\n\n```json\n(.*?)\n```", README, re.M | re.S)
    assert match, f"no schema for {command} in the README"
    return json.loads(match.group(1))


def check(document: str, command: str) -> dict:
    assert document.endswith("\n") and document.count("\n") == 1  # one line
    data = json.loads(document)
    jsonschema.validate(data, documented_schema(command))
    return data


def test_status_json_in_a_shell_with_a_role(aws_env, mfa_code, world):
    result = shell_session(
        "bash", aws_env,
        [eval_line("bash", "production", "read", mfa_code()), f"{sys.executable} -m assume_role status --json"],
    )
    assert result.returncode == 0, result.stderr
    data = check(result.stdout, "assume-role status --json")
    assert (data["assumed"], data["valid"]) == (True, True)
    assert (data["account"], data["account_id"], data["role"]) == ("production", world.production_account_id, "read")
    assert data["expires_at"] - time.time() == pytest.approx(data["seconds_left"], abs=5)
    assert 3000 < data["seconds_left"] <= 3600
    assert data["mfa_session"]["valid"] is True and data["mfa_session"]["store"] == "file"
    assert data["mfa_session"]["serial"] == world.mfa_serial
    sign_in = data["sign_in"]
    assert (sign_in["kind"], sign_in["profile"], sign_in["via"]) == ("bastion_mfa", "default", "keys")
    # The bastion sign-in lasts as long as its MFA session.
    assert sign_in["seconds_left"] == pytest.approx(data["mfa_session"]["seconds_left"], abs=5)


def test_status_json_without_a_role_exits_7(aws_env):
    run = run_cli(aws_env, "status", "--json")
    assert run.returncode == 7 and run.stderr == ""
    data = check(run.stdout, "assume-role status --json")
    assert data["assumed"] is False and data["valid"] is False and data["account"] is None
    assert data["mfa_session"] == {"profile": "default", "serial": None, "valid": False, "seconds_left": None,
                                   "store": "file"}
    assert data["sign_in"] == {"kind": "bastion_mfa", "summary": "bastion MFA: profile default, an IAM user's keys",
                               "profile": "default", "via": "keys", "idp": None, "expires_at": None,
                               "seconds_left": None}


@pytest.mark.parametrize("expires", ["1000", "inf", "nan", "soon"])
def test_status_json_with_an_expired_or_broken_time(aws_env, expires):
    aws_env.update(AWS_ACCOUNT_NAME="production", AWS_ACCOUNT_ROLE="read", AWS_ACCESS_KEY_ID="ASIAOLD", ASSUME_ROLE_ACCESS_KEY_ID="ASIAOLD",
                   ASSUME_ROLE_EXPIRES_AT=expires)
    run = run_cli(aws_env, "status", "--json")
    assert run.returncode == 7, run.stderr
    assert check(run.stdout, "assume-role status --json")["valid"] is False


def test_accounts_list_json(aws_env, mfa_code, world):
    accounts = {
        "production": world.production_account_id,
        "staging": {"id": world.staging_account_id, "roles": ["read", "admin"], "region": "eu-west-1"},
        "#sync": {"via": "production:read"},
    }
    path = aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]
    with open(path, "w") as handle:
        json.dump(accounts, handle)
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    with open(path, "w") as handle:
        json.dump({**accounts, "broken": "12345", "weird\u001b[31m": "333333333333"}, handle)
    run = run_cli(aws_env, "accounts", "list", "--json")
    assert run.returncode == 0, run.stderr
    data = check(run.stdout, "assume-role accounts list --json")
    rows = {row["alias"]: row for row in data["accounts"]}
    assert list(rows) == ["production", "staging", "weird\u001b[31m"]  # sorted; no broken or reserved entry
    [session] = rows["production"]["sessions"]
    assert session["role"] == "read" and session["valid"] is True and 3000 < session["seconds_left"] <= 3600
    assert rows["staging"] == {"alias": "staging", "id": world.staging_account_id, "roles": ["read", "admin"],
                               "region": "eu-west-1", "sessions": []}
    assert "\u001b" not in run.stdout  # escaped by JSON, never raw on a terminal

    text = run_cli(aws_env, "accounts", "list")
    assert text.returncode == 0, text.stderr
    assert "\u001b" not in text.stdout and "weird?[31m" in text.stdout  # shown through validate.printable
    assert re.search(r"^production\s+111111111111\s+-\s+-\s+read (59m|1h00m)$", text.stdout, re.M)
    assert re.search(r"^staging\s+222222222222\s+read,admin\s+eu-west-1\s+-$", text.stdout, re.M)


def test_accounts_list_json_with_an_empty_file(aws_env):
    with open(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"], "w") as handle:
        handle.write("{}")
    run = run_cli(aws_env, "accounts", "list", "--json")
    assert check(run.stdout, "assume-role accounts list --json") == {"schema": 1, "accounts": []}


def test_status_json_says_where_the_bastions_keys_come_from(aws_env, world):
    data = check(run_cli(aws_env, "status", "--json").stdout, "assume-role status --json")
    assert data["bastion_keys"] == {"source": "credentials-file"}
    env = dict(aws_env, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    assert run_cli(env, "keys", "add", "--from-credentials-file").returncode == 0
    data = check(run_cli(env, "status", "--json").stdout, "assume-role status --json")
    assert data["bastion_keys"] == {"source": "keyring"}
    Path(env["AWS_SHARED_CREDENTIALS_FILE"]).write_text("")
    assert run_cli(env, "keys", "remove", "default").returncode == 0
    data = check(run_cli(env, "status", "--json").stdout, "assume-role status --json")
    assert data["bastion_keys"] == {"source": None}


@pytest.mark.parametrize("planted", ["role|default", "role|default|111111111111", "role|default|111111111111|admin",
                                     "mfa|default|111111111111|admin|3600|||aws"])
def test_accounts_list_json_ignores_a_cache_entry_that_is_no_role_key(planted, aws_env, mfa_code):
    # A role key starts with "role" and has eight fields or more; an entry under
    # another key (an older format, a hand edit) names no session and must
    # break nothing.
    import hashlib

    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    directory = Path(aws_env["XDG_CACHE_HOME"]) / "assume-role"
    (real,) = directory.glob("role-*.json")
    entry = json.loads(real.read_text())
    planted_path = directory / f"{planted.split('|')[0]}-{hashlib.sha256(planted.encode()).hexdigest()[:32]}.json"
    planted_path.write_text(json.dumps({**entry, "key": planted}))
    planted_path.chmod(0o600)
    run = run_cli(aws_env, "accounts", "list", "--json")
    assert run.returncode == 0, run.stderr
    rows = {row["alias"]: row for row in check(run.stdout, "assume-role accounts list --json")["accounts"]}
    assert [session["role"] for session in rows["production"]["sessions"]] == ["read"]
