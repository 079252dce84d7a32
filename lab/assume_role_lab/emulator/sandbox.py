"""A private AWS setup for a seeded world: files and environment, no real ~/.aws.

Tests, the benchmark and the demo all run assume-role in such a sandbox, so
none of them can read or write the user's own AWS configuration.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from .world import World


def import_roots() -> str:
    """The directories this process found assume_role and assume_role_lab in, for PYTHONPATH.

    Tests import the checkout's packages whether or not they are installed, and
    the assume-role they start in a sandbox must be that same code. assume_role
    is located, not imported: the emulator does not depend on the tool it tests.
    """
    roots = [Path(__file__).resolve().parents[2]]
    tool = importlib.util.find_spec("assume_role")
    if tool is not None and tool.origin:
        roots.insert(0, Path(tool.origin).resolve().parents[1])
    return os.pathsep.join(dict.fromkeys(map(str, roots)))


def write_sandbox(root: Path, world: World, *, endpoint: str | None = None) -> dict[str, str]:
    """Write credentials, config and accounts under ``root``; return the environment.

    The environment holds nothing AWS-related from the outer one, and
    deliberately no MFA serial: the tool has to discover it.
    """
    home = root / "home"
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, mode=0o700)
    credentials_file = aws_dir / "credentials"
    credentials_file.write_text(
        "[default]\n"
        f"aws_access_key_id = {world.access_key_id}\n"
        f"aws_secret_access_key = {world.secret_access_key}\n"
    )
    credentials_file.chmod(0o600)
    config_file = aws_dir / "config"
    config_file.write_text(f"[default]\nregion = {world.region}\n")
    accounts_file = aws_dir / "accounts"
    accounts_file.write_text(json.dumps(world.accounts, indent=2) + "\n")
    xdg = {name: root / "xdg" / name for name in ("cache", "state", "config", "data")}
    for directory in xdg.values():
        directory.mkdir(parents=True, mode=0o700)

    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(filter(None, [import_roots(), os.environ.get("PYTHONPATH")])),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(config_file),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials_file),
        "AWS_ENDPOINT_URL": endpoint or world.endpoint,
        # `assume-role console` signs in through the emulator's federation endpoint.
        "ASSUME_ROLE_FEDERATION_ENDPOINT": f"{endpoint or world.endpoint}/federation",
        "AWS_EC2_METADATA_DISABLED": "true",
        "ASSUME_ROLE_ACCOUNTS_FILE": str(accounts_file),
        "XDG_CACHE_HOME": str(xdg["cache"]),
        "XDG_STATE_HOME": str(xdg["state"]),
        "XDG_CONFIG_HOME": str(xdg["config"]),
        "XDG_DATA_HOME": str(xdg["data"]),
    }


def add_sso_profile(env: dict[str, str], sso, *, profile: str = "corp", session: str | None = "corp",
                    hub: bool = False) -> dict[str, str]:
    """Add an IAM Identity Center profile to the sandbox's config; return the environment using it.

    ``sso`` is a ``SsoWorld``. ``session=None`` writes a legacy profile
    (``sso_start_url`` in the profile itself); ``hub`` names the bastion
    account's permission set as the profile's own role (hub and spoke).
    """
    lines = [f"\n[profile {profile}]", f"region = {sso.region}"]
    if session:
        lines.append(f"sso_session = {session}")
    else:
        lines += [f"sso_start_url = {sso.start_url}", f"sso_region = {sso.region}"]
    if hub:
        lines += [f"sso_account_id = {sso.hub_account_id}", f"sso_role_name = {sso.hub_permission_set}"]
    if session:
        lines += [f"\n[sso-session {session}]", f"sso_start_url = {sso.start_url}", f"sso_region = {sso.region}",
                  "sso_registration_scopes = sso:account:access"]
    config = Path(env["AWS_CONFIG_FILE"])
    text = config.read_text()
    if f"[sso-session {session}]" in text:  # a second profile of the same session
        lines = lines[: lines.index(f"\n[sso-session {session}]")]
    config.write_text(text + "\n".join(lines) + "\n")
    return dict(env, AWS_PROFILE_ASSUME_ROLE=profile)
