"""The bastion profile read the way botocore reads it, without importing botocore.

Most bastion profiles are an IAM user's two keys in ``~/.aws/credentials`` and
perhaps a region and ``mfa_serial`` in ``~/.aws/config``. For those, the hot
path needs no credential provider chain, so this module reads both files with
the same parser and merge rules as botocore (``configloader`` and
``Session.full_config``). Anything else (SSO, ``credential_process``, roles,
custom endpoints or CA bundles in the profile) is left to botocore:
``plain_profile`` returns None and the caller opens a botocore session.

A profile whose keys are in the OS keyring (``assume-role keys``) is read
here for its settings only (``held=True``): it needs no keys in the files,
and a ``credential_process`` that runs ``assume-role keys credential-process``
(the line that lends those keys to other tools) is the same keys, not a
reason to hand the profile to botocore.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
from typing import NamedTuple

from assume_role.errors import UsageError

# Keys that change how botocore finds credentials or reaches AWS. A profile
# with any of them is botocore's to read: it follows rules this module does
# not copy.
_NOT_PLAIN = frozenset(
    {
        "role_arn",
        "source_profile",
        "credential_source",
        "credential_process",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "login_session",
        "endpoint_url",
        "services",
        "use_fips_endpoint",
        "use_dualstack_endpoint",
        "sts_regional_endpoints",
        "ignore_configured_endpoint_urls",
    }
)
# The same settings as environment variables (the tool scrubs credentials and
# AWS_PROFILE itself; these it leaves alone, so botocore must honour them).
_NOT_PLAIN_ENVIRONMENT = (
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def _raw(path: str) -> dict[str, dict[str, str]] | None:
    """Sections of one INI file; {} when absent, None when botocore must judge it.

    Read through the tool's one safe reader: a FIFO, a device or a huge file
    at the path is a usage error, not a hang and not "no file".
    """
    from assume_role.errors import UsageError
    from assume_role.state.files import UnsafeFile, read_text

    path = os.path.expanduser(os.path.expandvars(path))
    try:
        text = read_text(path)
    except UnsafeFile as exc:
        raise UsageError(f"cannot use {path}: {exc}") from None
    if text is None:
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _profile_map(config: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    profiles: dict[str, dict[str, str]] = {}
    for section, values in config.items():
        if section.startswith("profile"):
            try:
                parts = shlex.split(section)
            except ValueError:
                continue
            if len(parts) == 2:
                profiles[parts[1]] = dict(values)
        elif section == "default":
            profiles[section] = dict(values)
    return profiles


# botocore's two files: the variable naming each, and its default.
FILES = (("AWS_CONFIG_FILE", "~/.aws/config"), ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))


def _files() -> tuple[str, str]:
    config, credentials = (os.environ.get(variable) or default for variable, default in FILES)
    return config, credentials


def profile_region(profile: str) -> str | None:
    """The profile's ``region`` as botocore scopes it (the credentials file's wins).

    The region is resolved before the role cache is asked, and a cache hit
    must not import botocore; a file botocore would refuse is refused here.
    """
    parsed = []
    for path in _files():
        sections = _raw(path)
        if sections is None:
            # Never the parser's message: it quotes lines, which may hold keys.
            raise UsageError(f"cannot parse the AWS file {path}: it is not in the INI format botocore reads")
        parsed.append(sections)
    config, credentials = parsed
    profiles = _profile_map(config)
    for name, values in credentials.items():
        profiles.setdefault(name, {}).update(values)
    region = profiles.get(profile, {}).get("region")
    # An indented block is a nested section in botocore, never a region.
    if not region or region.startswith("\n"):
        return None
    return region


class PlainProfile(NamedTuple):
    settings: dict[str, str]  # config and credentials files merged, as botocore scopes them
    access_key_id: str | None  # None only for a profile read for its settings (held=True)
    secret_access_key: str | None
    session_token: str | None


KEY_SETTINGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token")
# The credential_process line `keys add` suggests: the keyring's keys, lent to other tools.
_LENDS_HELD_KEYS = re.compile(r"(^|[\s/])assume-role['\"]?\s+keys\s+credential-process(\s|$)")


def lends_held_keys(process: object) -> bool:
    return isinstance(process, str) and bool(_LENDS_HELD_KEYS.search(process))


def plain_profile(profile: str, *, held: bool = False) -> PlainProfile | None:
    """The profile when it is static keys botocore would read the same way, else None.

    ``held``: its keys come from the keyring; the profile is read for its
    settings (which then hold no keys), and need not exist in the files.
    """
    if any(os.environ.get(name) for name in _NOT_PLAIN_ENVIRONMENT):
        return None
    config_file, credentials_file = _files()
    config, credentials = _raw(config_file), _raw(credentials_file)
    if config is None or credentials is None:
        return None
    profiles = _profile_map(config)
    from_config = dict(profiles.get(profile, {}))
    for name, values in credentials.items():
        profiles.setdefault(name, {}).update(values)
    scoped = profiles.get(profile, {})
    blocking = _NOT_PLAIN & scoped.keys()
    if held and lends_held_keys(scoped.get("credential_process")):
        blocking -= {"credential_process"}
    if (not scoped and not held) or blocking:
        return None
    if any(value.startswith("\n") for value in scoped.values()):
        return None  # a nested block: botocore's sub-section syntax
    if held:
        settings = {name: value for name, value in scoped.items() if name not in KEY_SETTINGS}
        return PlainProfile(settings, None, None, None)
    # botocore's order: the credentials file's section if it names a key
    # (then it must hold both), else the config file's profile.
    source = credentials.get(profile, {})
    if not source.get("aws_access_key_id"):
        source = from_config
    key, secret = source.get("aws_access_key_id"), source.get("aws_secret_access_key")
    if not (key and secret):
        return None
    token = source.get("aws_session_token") or source.get("aws_security_token") or None
    return PlainProfile(scoped, key, secret, token)


class KeysOrigin(NamedTuple):
    """Where the bastion's long-term keys come from, for ``status``: no keyring, no botocore."""

    source: str | None  # "keyring", "credentials-file", "config-file", "other", or None (none found)
    detail: str  # the backend, the file, or what botocore runs


# Settings that give a profile credentials from something else than its keys, as status names them.
_PROVIDERS = (
    ("credential_process", "its credential_process"),
    ("sso_session", "IAM Identity Center (SSO)"),
    ("sso_start_url", "IAM Identity Center (SSO)"),
    ("role_arn", "a role (role_arn)"),
    ("web_identity_token_file", "a web identity token"),
    ("login_session", "a console sign-in session"),
)


def keys_origin(profile: str) -> KeysOrigin:
    """The keyring first (its index only), then the files in botocore's order."""
    from assume_role.state import key_store

    held = key_store.held(profile)
    if held is not None:
        return KeysOrigin("keyring", key_store.describe(held.backend))
    config_file, credentials_file = _files()
    config, credentials = _raw(config_file), _raw(credentials_file)
    if config is None or credentials is None:
        return KeysOrigin("other", "AWS files only botocore reads")
    from_config = _profile_map(config).get(profile, {})
    merged = {**from_config, **credentials.get(profile, {})}
    for values, source, path in ((credentials.get(profile, {}), "credentials-file", credentials_file),
                                 (from_config, "config-file", config_file)):
        if values.get("aws_access_key_id"):
            return KeysOrigin(source, path)
    for setting, what in _PROVIDERS:
        if merged.get(setting):
            return KeysOrigin("other", what)
    return KeysOrigin(None, "")


# Variables that would make an AWS client pick something other than the
# bastion profile: a previous assume-role's exports, or a leftover AWS_PROFILE.
_FOREIGN_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


def scrub_environment() -> None:
    for name in _FOREIGN_ENVIRONMENT:
        os.environ.pop(name, None)
