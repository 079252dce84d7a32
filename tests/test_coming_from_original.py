"""What a user of coinbase/assume-role meets: the README's mapping holds, and so do its claims."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from support import run_cli
from test_assume import exports_of, shell_session

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Coming from coinbase/assume-role", 1)[1].split("\n## ", 1)[0]

# Every instruction, file and variable of the original tool's README and script.
ORIGINAL = [
    "Homebrew", "install-assume-role", "jq", "~/.aws/credentials", "eval $(assume-role account-id role mfa-token)",
    "source $(which assume-role)", "assume-role [account-id] [role] [mfa-token]", "AWS_ASSUME_ROLE_AUTH_SCHEME=saml",
    "SAML_IDP_ASSERTION_URL", "SAML_IDP_NAME", "SAML_IDP_REQUEST_BODY_TEMPLATE", "$saml_user", "$saml_password",
    "~/.saml/credentials", "SAML_FILE", "~/.aws/accounts", "ACCOUNTS_FILE", "AWS_PROFILE_ASSUME_ROLE",
    "AWS_ROLE_SESSION_TIMEOUT=43200", "AWS_USERNAME", "trust policies", "aws_account_info", "PROMPT_COMMAND",
    "AWS_SESSION_ACCESS_KEY_ID", "AWS_SESSION_SECRET_ACCESS_KEY", "AWS_SESSION_SESSION_TOKEN",
    "AWS_SESSION_SECURITY_TOKEN", "AWS_SESSION_START", "GEO_ENV", "DEBUG_ASSUME_ROLE", "BATS",
]


def test_the_section_maps_every_part_of_the_original():
    missing = [item for item in ORIGINAL if f"`{item}`" not in SECTION and item not in SECTION]
    assert missing == []


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_replacement_rc_line_loads_the_function(shell, aws_env, tmp_path):
    line = re.search(rf'`(eval "\$\(assume-role init {shell}\)")`', SECTION) or re.search(
        r'`(eval "\$\(assume-role init zsh\)")`', SECTION
    )
    rc_line = line.group(1).replace("init zsh", f"init {shell}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "assume-role").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m assume_role "$@"\n')
    (bin_dir / "assume-role").chmod(0o755)
    env = dict(aws_env, PATH=f"{bin_dir}:{aws_env['PATH']}")
    result = shell_session(shell, env, [rc_line, "type assume-role | head -n 1"])
    assert result.returncode == 0, result.stderr
    assert "function" in result.stdout


def test_the_original_prompt_snippets_still_work(aws_env, mfa_code):
    # The bash snippet of the original README, in the user's rc file.
    snippet = (
        'function aws_account_info {\n'
        '  [ "$AWS_ACCOUNT_NAME" ] && [ "$AWS_ACCOUNT_ROLE" ] && echo -n "aws:($AWS_ACCOUNT_NAME:$AWS_ACCOUNT_ROLE) "\n'
        '}'
    )
    call = f'eval "$({sys.executable} -m assume_role production read {mfa_code()})"'
    result = shell_session("bash", aws_env, [snippet, call, "aws_account_info; echo"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "aws:(production:read) \n"


def test_accounts_file_variable_of_the_original(aws_env, world, mfa_code, tmp_path):
    other = tmp_path / "accounts.json"
    other.write_text(f'{{"prod-legacy": "{world.production_account_id}"}}')
    env = {k: v for k, v in aws_env.items() if k != "ASSUME_ROLE_ACCOUNTS_FILE"}
    env["ACCOUNTS_FILE"] = str(other)
    run = run_cli(env, "--shell", "bash", "prod-legacy", "read", mfa_code())
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_ACCOUNT_ID"] == world.production_account_id
    # The new name wins when both are set.
    env["ASSUME_ROLE_ACCOUNTS_FILE"] = aws_env["ASSUME_ROLE_ACCOUNTS_FILE"]
    assert run_cli(env, "--shell", "bash", "prod-legacy", "read").returncode == 2


# -- AWS_PROFILE after assuming: what the README says about botocore tools ----------

WHO = f"{sys.executable} -c 'import boto3; print(\"boto3\", boto3.client(\"sts\").get_caller_identity()[\"Arn\"])'"


def test_aws_cli_and_boto3_keep_the_exported_keys_when_aws_profile_is_set(aws_env, world, mfa_code):
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed")
    role = f"arn:aws:sts::{world.production_account_id}:assumed-role/read/{world.user_name}"
    result = shell_session(
        "bash",
        aws_env,
        [
            f'eval "$({sys.executable} -m assume_role --shell bash production read {mfa_code()})"',
            "export AWS_PROFILE=default",  # the bastion profile, set again by something
            'echo "cli $(aws sts get-caller-identity --query Arn --output text)"',
            WHO,
            # Only an explicit profile wins.
            'echo "explicit $(aws --profile default sts get-caller-identity --query Arn --output text)"',
        ],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"cli {role}", f"boto3 {role}", f"explicit {world.user_arn}"]
    troubleshooting = README.split("### `AWS_PROFILE` is still set", 1)[1].split("\n### ", 1)[0]
    assert "keep\n  using the exported keys" in troubleshooting
    assert "JavaScript SDK v3 skips the environment's keys" in troubleshooting
