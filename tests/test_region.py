"""The region: resolved the same way whether stored credentials are reused or not.

Order: the REGION argument, the account's entry, AWS_REGION, AWS_DEFAULT_REGION,
the bastion profile's region, then a question (without a terminal, us-east-1).
Role credentials do not depend on the region, so a stored session serves any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support import assert_clean_failure, run_cli
from test_assume import exports_of, shell_session
from test_imports import probe, settled

from assume_role.aws import profiles
from assume_role.errors import UsageError

REGION_LINE = 'echo "region=$AWS_REGION/$AWS_DEFAULT_REGION"'


def _call(shell: str, *args: str, env: str = "") -> str:
    """The assume-role command line in ``shell``, through its eval form."""
    call = " ".join([sys.executable, "-m", "assume_role", "--shell", shell, *args])
    if shell == "fish":
        prefix = f"env {env} " if env else ""
        return f"{prefix}{call} | source"
    return f'eval "$({env} {call})"' if env else f'eval "$({call})"'


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_region_from_the_environment_does_not_stick_through_the_cache(shell, aws_env, emulator, mfa_code):
    # The profile says us-east-1 (the sandbox's config file).
    result = shell_session(
        shell,
        aws_env,
        [
            _call(shell, "staging", "read", mfa_code(), env="AWS_REGION=eu-west-3"),
            REGION_LINE,
            # A plain run in the same shell: the exported AWS_REGION is the
            # environment now, so it is kept; in a fresh shell it is not.
            _call(shell, "staging", "read"),
            REGION_LINE,
        ],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["region=eu-west-3/eu-west-3", "region=eu-west-3/eu-west-3"]

    fresh = shell_session(shell, aws_env, [_call(shell, "staging", "read"), REGION_LINE])
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines() == ["region=us-east-1/us-east-1"]
    # Both later runs were served from the stored credentials.
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 1


def test_another_region_reuses_the_stored_credentials(aws_env, emulator, mfa_code):
    first = run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code())
    assert first.returncode == 0, first.stderr
    for region in ("eu-west-1", "ap-southeast-2"):
        again = run_cli(aws_env, "--shell", "bash", "production", "read", "", region)
        assert again.returncode == 0, again.stderr
        values = exports_of(again.stdout)
        assert values["AWS_REGION"] == values["AWS_DEFAULT_REGION"] == region
        assert values["AWS_ACCESS_KEY_ID"] == exports_of(first.stdout)["AWS_ACCESS_KEY_ID"]
    env = dict(aws_env, AWS_DEFAULT_REGION="ca-central-1")
    assert exports_of(run_cli(env, "--shell", "bash", "production", "read").stdout)["AWS_REGION"] == "ca-central-1"
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 1


def test_another_partition_is_not_served_from_the_cache(aws_env, emulator, world, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    # China's partition has its own accounts and ARNs: the stored credentials
    # cannot serve it, so AWS is asked (and the emulator, commercial only, denies).
    china = run_cli(aws_env, "--shell", "bash", "production", "read", "", "cn-north-1")
    assert_clean_failure(china, 5, f"arn:aws-cn:iam::{world.production_account_id}:role/read")
    assert emulator.control.calls(outcome="ok")["AssumeRole"] == 1


@pytest.mark.parametrize("cached", [False, True], ids=["miss", "hit"])
def test_same_order_on_a_hit_and_a_miss(cached, aws_env, world, mfa_code):
    accounts = Path(aws_env["ASSUME_ROLE_ACCOUNTS_FILE"])
    if cached:
        assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0

    def region(env: dict, *extra: str) -> str:
        args = ["--shell", "bash", "production", "read"]
        if extra or not cached:
            args += ["" if cached else mfa_code(), *extra]
        run = run_cli(env, *args)
        assert run.returncode == 0, run.stderr
        return exports_of(run.stdout)["AWS_REGION"]

    config = Path(aws_env["AWS_CONFIG_FILE"])
    config.write_text("[default]\nregion = sa-east-1\n")
    assert region(aws_env) == "sa-east-1"
    assert region(dict(aws_env, AWS_DEFAULT_REGION="eu-north-1")) == "eu-north-1"
    assert region(dict(aws_env, AWS_DEFAULT_REGION="eu-north-1", AWS_REGION="eu-south-1")) == "eu-south-1"
    accounts.write_text(f'{{"production": {{"id": "{world.production_account_id}", "region": "me-south-1"}}}}')
    assert region(dict(aws_env, AWS_REGION="eu-south-1")) == "me-south-1"
    assert region(dict(aws_env, AWS_REGION="eu-south-1"), "us-west-2") == "us-west-2"
    accounts.write_text(f'{{"production": "{world.production_account_id}"}}')
    config.write_text("[default]\n")
    assert region(aws_env) == "us-east-1"  # no terminal to ask on: the default


def test_cache_hit_reads_the_profile_region_without_botocore(aws_env, mfa_code):
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    Path(aws_env["AWS_CONFIG_FILE"]).write_text("[default]\nregion = eu-central-2\n")
    stdout, heavy = probe(aws_env, "--shell", "bash", "production", "read")
    assert "export AWS_REGION='eu-central-2'" in stdout
    assert "botocore" not in heavy


def test_the_remembered_profile_region_follows_every_edit_of_the_aws_files(aws_env, mfa_code):
    # Parsing the AWS files would cost each cache hit more than the rest of its
    # work, so what they said is remembered while they stay the same.
    def hit_region() -> str:
        run = run_cli(aws_env, "--shell", "bash", "production", "read")
        assert run.returncode == 0, run.stderr
        assert "warning" not in run.stderr
        return exports_of(run.stdout)["AWS_REGION"]

    config = Path(aws_env["AWS_CONFIG_FILE"])
    remembered = Path(aws_env["XDG_CACHE_HOME"], "assume-role", profiles.REMEMBERED_FILE)
    settled(aws_env)
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    assert hit_region() == "us-east-1"
    assert remembered.exists()
    # An edit of the same size, just made: read again at once.
    config.write_text(config.read_text().replace("region = us-east-1", "region = eu-west-3"))
    assert hit_region() == "eu-west-3"
    settled(aws_env)
    assert hit_region() == "eu-west-3"
    # The credentials file's region wins, as in botocore; its edits count too.
    credentials = Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_text(credentials.read_text() + "region = ap-south-1\n")
    assert hit_region() == "ap-south-1"
    settled(aws_env)
    assert hit_region() == "ap-south-1"


def test_a_damaged_remembered_region_is_one_warning_and_read_again(aws_env, mfa_code):
    remembered = Path(aws_env["XDG_CACHE_HOME"], "assume-role", profiles.REMEMBERED_FILE)
    settled(aws_env)
    assert run_cli(aws_env, "--shell", "bash", "production", "read", mfa_code()).returncode == 0
    remembered.write_text('{"stamp": [')
    run = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert run.returncode == 0, run.stderr
    assert exports_of(run.stdout)["AWS_REGION"] == "us-east-1"
    assert run.stderr.count("warning") == 1 and "remembered AWS profile settings" in run.stderr
    again = run_cli(aws_env, "--shell", "bash", "production", "read")
    assert again.returncode == 0 and again.stderr == ""  # written again by the run that warned


def test_unparsable_config_file_is_one_line_without_its_content(aws_env):
    Path(aws_env["AWS_CONFIG_FILE"]).write_text("aws_secret_access_key = SECRETVALUE\n[default]\n")
    run = run_cli(aws_env, "--shell", "bash", "production", "read", "123456")
    assert_clean_failure(run, 2, "cannot parse the AWS file")
    assert "SECRETVALUE" not in run.stderr


# -- the profile reader against botocore's own answer ------------------------------

CONFIGS = [
    ("[default]\nregion = eu-west-1\n", "", "default"),
    ("[profile bastion]\nregion = eu-west-2\n[default]\nregion = eu-west-1\n", "", "bastion"),
    ("[bastion]\nregion = eu-west-2\n", "", "bastion"),  # not a profile in the config file
    ('[profile "my team"]\nregion = eu-west-3\n', "", "my team"),
    ("[profile  bastion ]\nregion = us-west-1\n", "", "bastion"),
    ("[profile bastion]\nregion = us-west-1\n[profile bastion]\n", "", "bastion"),
    ("[profile bastion]\nregion = us-west-1\n", "[bastion]\nregion = us-east-2\n", "bastion"),
    ("[profile bastion]\nregion = us-west-1\n", "[bastion]\naws_access_key_id = x\n", "bastion"),
    ("", "[bastion]\nregion = us-east-2\n", "bastion"),
    ("[default]\nregion =\n", "", "default"),
    ("[DEFAULT]\nregion = ap-south-1\n[profile bastion]\noutput = json\n", "", "bastion"),
    ("[default]\nREGION: ca-central-1\n", "", "default"),
    ("[default]\nregion =\n  nested = x\n", "", "default"),
    ("[profile other]\nregion = us-west-1\n", "", "bastion"),
]


def _botocore_region(profile: str) -> str | None:
    import botocore.exceptions
    import botocore.session

    try:
        region = botocore.session.Session(profile=profile).get_scoped_config().get("region")
    except botocore.exceptions.ProfileNotFound:
        return None
    except botocore.exceptions.ConfigParseError:
        return "refused"
    return region if isinstance(region, str) and region else None


@pytest.mark.parametrize("config, credentials, profile", CONFIGS)
def test_profile_region_matches_botocore(config, credentials, profile, tmp_path, monkeypatch):
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    try:
        ours = profiles.profile_region(profile)
    except UsageError:
        ours = "refused"
    assert ours == _botocore_region(profile)


def test_profile_region_follows_home_and_variables(tmp_path, monkeypatch):
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\nregion = il-central-1\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    assert profiles.profile_region("default") == _botocore_region("default") == "il-central-1"
    monkeypatch.setenv("MYDIR", str(tmp_path / ".aws"))
    monkeypatch.setenv("AWS_CONFIG_FILE", "$MYDIR/config")
    assert profiles.profile_region("default") == _botocore_region("default") == "il-central-1"


def test_unparsable_file_is_refused_like_botocore(tmp_path, monkeypatch):
    (tmp_path / "config").write_text("region = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    import botocore.exceptions
    import botocore.session

    with pytest.raises(botocore.exceptions.ConfigParseError):
        botocore.session.Session().get_scoped_config()
    with pytest.raises(Exception, match="cannot parse"):
        profiles.profile_region("default")
