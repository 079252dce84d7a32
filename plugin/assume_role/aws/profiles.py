"""The bastion profile read the way botocore reads it, without importing botocore.

Most bastion profiles are an IAM user's two keys in ``~/.aws/credentials`` and
perhaps a region and ``mfa_serial`` in ``~/.aws/config``. For those, the hot
path needs no credential provider chain, so this module reads both files with
the same parser and merge rules as botocore (``configloader`` and
``Session.full_config``), endpoints configured in the profile included.
Anything else (SSO, ``credential_process``, roles, FIPS or dual-stack
endpoints) is left to botocore: ``plain_profile`` returns None and the caller
opens a botocore session.
"""

from __future__ import annotations

import configparser
import os
import shlex
from collections import namedtuple

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
        "use_fips_endpoint",
        "use_dualstack_endpoint",
        "sts_regional_endpoints",
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


def _named_sections(config: dict[str, dict[str, str]], kind: str) -> dict[str, dict[str, str]]:
    """``[KIND NAME]`` sections by NAME, as botocore's ``build_profile_map`` reads them."""
    found: dict[str, dict[str, str]] = {}
    for section, values in config.items():
        if section.startswith(kind):
            try:
                parts = shlex.split(section)
            except ValueError:
                continue
            if len(parts) == 2:
                found[parts[1]] = dict(values)
    return found


def _profile_map(config: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    profiles = _named_sections(config, "profile")
    if "default" in config:
        profiles["default"] = dict(config["default"])
    return profiles


def _service_endpoints(config: dict[str, dict[str, str]], scoped: dict[str, str]) -> dict[str, str] | None:
    """The ``endpoint_url`` of each service in the ``[services NAME]`` section the profile names.

    {} when it names none; None when botocore must judge it: a section that
    is missing or empty, or an entry that is not an indented block of
    ``key = value`` lines (botocore refuses or trips over those).
    """
    name = scoped.get("services")
    if name is None:
        return {}
    section = _named_sections(config, "services").get(name)
    if not section:
        return None
    endpoints: dict[str, str] = {}
    for service, block in section.items():
        if not block.startswith("\n"):
            return None
        nested = {}
        for line in filter(None, (line.strip() for line in block.splitlines())):
            key, equals, value = line.partition("=")
            if not equals:
                return None
            nested[key.strip()] = value.strip()
        if nested.get("endpoint_url"):
            endpoints[service] = nested["endpoint_url"]
    return endpoints


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


def endpoint_settings(profile: str) -> tuple[dict[str, str], dict[str, str]]:
    """The profile's settings and its ``services`` endpoints, for a call that sends none of its keys.

    AssumeRoleWithSAML is unsigned, but goes where the profile's
    ``endpoint_url`` says and trusts its ``ca_bundle``, as botocore would.
    """
    config_file, credentials_file = _files()
    config, credentials = _raw(config_file) or {}, _raw(credentials_file) or {}
    profiles = _profile_map(config)
    for name, values in credentials.items():
        profiles.setdefault(name, {}).update(values)
    scoped = profiles.get(profile, {})
    return scoped, _service_endpoints(config, scoped) or {}


# ``settings``: the config and credentials files merged, as botocore scopes them;
# ``services``: the endpoint_url per service of the profile's services section.
PlainProfile = namedtuple(
    "PlainProfile", ["settings", "access_key_id", "secret_access_key", "session_token", "services"]
)


def plain_profile(profile: str) -> PlainProfile | None:
    """The profile when it is static keys botocore would read the same way, else None."""
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
    scoped = profiles.get(profile)
    if not scoped or _NOT_PLAIN & scoped.keys():
        return None
    if any(value.startswith("\n") for value in scoped.values()):
        return None  # a nested block: botocore's sub-section syntax
    # botocore's order: the credentials file's section if it names a key
    # (then it must hold both), else the config file's profile.
    source = credentials.get(profile, {})
    if not source.get("aws_access_key_id"):
        source = from_config
    key, secret = source.get("aws_access_key_id"), source.get("aws_secret_access_key")
    if not (key and secret):
        return None
    token = source.get("aws_session_token") or source.get("aws_security_token") or None
    services = _service_endpoints(config, scoped)
    if services is None:
        return None
    return PlainProfile(scoped, key, secret, token, services)


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


# What makes a profile a source of credentials of its own in any SDK.
_CREDENTIAL_KEYS = frozenset(
    {
        "aws_access_key_id",
        "role_arn",
        "credential_process",
        "web_identity_token_file",
        "sso_session",
        "sso_start_url",
        "login_session",
    }
)


def shadowing_files() -> list[str]:
    """The variables (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) whose file gives the
    ``default`` profile credentials of its own.

    Every SDK takes those before a container credentials endpoint, so a
    command served by the credential server would run as the bastion user
    (whose keys are usually the default profile's) instead of the role.
    A file that cannot be parsed counts: what the SDKs make of it is unknown.
    """
    found = []
    for (variable, _), path in zip(FILES, _files()):
        sections = _raw(path)
        if sections is None or _CREDENTIAL_KEYS & _profile_map(sections).get("default", {}).keys():
            found.append(variable)
    return found
