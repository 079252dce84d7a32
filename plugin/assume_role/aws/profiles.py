"""The bastion profile read the way botocore reads it, without importing botocore.

Most bastion profiles are an IAM user's two keys in ``~/.aws/credentials`` and
perhaps a region and ``mfa_serial`` in ``~/.aws/config``. For those, the hot
path needs no credential provider chain, so this module reads both files with
the same parser and merge rules as botocore (``configloader`` and
``Session.full_config``), endpoints configured in the profile included.
Anything else (SSO, ``credential_process``, roles, FIPS or dual-stack
endpoints) is left to botocore: ``plain_profile`` returns None and the caller
opens a botocore session.

A profile whose keys are in the OS keyring (``assume-role keys``) is read
here for its settings only (``held=True``): it needs no keys in the files,
and a ``credential_process`` that runs ``assume-role keys credential-process``
(the line that lends those keys to other tools) is the same keys, not a
reason to hand the profile to botocore.
"""

from __future__ import annotations

import os
import re
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
    import configparser  # here: a run that never parses an AWS file does not pay for it

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _named_sections(config: dict[str, dict[str, str]], kind: str) -> dict[str, dict[str, str]]:
    """``[KIND NAME]`` sections by NAME, as botocore's ``build_profile_map`` reads them."""
    import shlex

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


def _views(profile: str) -> tuple[dict, dict, dict, dict] | None:
    """The config file's sections, and ``profile`` as the credentials file, the
    config file and both merged (botocore's scoping) hold it; None when a file
    is botocore's to judge.
    """
    config_file, credentials_file = _files()
    config, credentials = _raw(config_file), _raw(credentials_file)
    if config is None or credentials is None:
        return None
    profiles = _profile_map(config)
    from_config = dict(profiles.get(profile, {}))
    for name, values in credentials.items():
        profiles.setdefault(name, {}).update(values)
    return config, credentials.get(profile, {}), from_config, profiles.get(profile, {})


# Where botocore's chain finds a profile's credentials, in its order (after
# the environment, which a named profile skips), and whether they are
# temporary: True, False, or None when only running the setting tells.
Origin = namedtuple("Origin", ["setting", "temporary"])


def credentials_origin(profile: str) -> Origin | None:
    """Which setting gives ``profile`` its credentials, read without botocore (for status).

    None when the profile gives none (or the files cannot be read).
    """
    views = _views(profile)
    if views is None:
        return None
    _, from_credentials, from_config, scoped = views
    if scoped.get("role_arn"):
        return Origin("role_arn", True)
    if scoped.get("web_identity_token_file"):
        return Origin("web_identity_token_file", True)
    if scoped.get("sso_session") or scoped.get("sso_start_url"):
        return Origin("SSO", True)
    if from_credentials.get("aws_access_key_id"):
        return _keys_origin(from_credentials)
    if scoped.get("login_session"):
        return Origin("login_session", True)
    if scoped.get("credential_process"):
        return Origin("credential_process", None)
    if from_config.get("aws_access_key_id"):
        return _keys_origin(from_config)
    return None


def _keys_origin(section: dict[str, str]) -> Origin:
    return Origin("keys", bool(section.get("aws_session_token") or section.get("aws_security_token")))


# ``settings``: the config and credentials files merged, as botocore scopes them;
# the keys are None only for a profile read for its settings (held=True);
# ``services``: the endpoint_url per service of the profile's services section.
PlainProfile = namedtuple(
    "PlainProfile", ["settings", "access_key_id", "secret_access_key", "session_token", "services"]
)

KEY_SETTINGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token")
# The credential_process line `keys add` suggests: the keyring's keys, lent to other tools.
_LENDS_HELD_KEYS = r"(^|[\s/])assume-role['\"]?\s+keys\s+credential-process(\s|$)"


def lends_held_keys(process: object) -> bool:
    return isinstance(process, str) and re.search(_LENDS_HELD_KEYS, process) is not None


def plain_profile(profile: str, *, held: bool = False) -> PlainProfile | None:
    """The profile when it is static keys botocore would read the same way, else None.

    ``held``: its keys come from the keyring; the profile is read for its
    settings (which then hold no keys), and need not exist in the files.
    """
    if any(os.environ.get(name) for name in _NOT_PLAIN_ENVIRONMENT):
        return None
    views = _views(profile)
    if views is None:
        return None
    config, source, from_config, scoped = views
    blocking = _NOT_PLAIN & scoped.keys()
    if held and lends_held_keys(scoped.get("credential_process")):
        blocking -= {"credential_process"}
    if (not scoped and not held) or blocking:
        return None
    if any(value.startswith("\n") for value in scoped.values()):
        return None  # a nested block: botocore's sub-section syntax
    services = _service_endpoints(config, scoped)
    if services is None:
        return None
    if held:
        settings = {name: value for name, value in scoped.items() if name not in KEY_SETTINGS}
        return PlainProfile(settings, None, None, None, services)
    # botocore's order: the credentials file's section if it names a key
    # (then it must hold both), else the config file's profile.
    if not source.get("aws_access_key_id"):
        source = from_config
    key, secret = source.get("aws_access_key_id"), source.get("aws_secret_access_key")
    if not (key and secret):
        return None
    token = source.get("aws_session_token") or source.get("aws_security_token") or None
    return PlainProfile(scoped, key, secret, token, services)


# Where the bastion's long-term keys come from, for ``status``: no keyring, no botocore.
# ``source``: "keyring", "credentials-file", "config-file", "other", or None (none found);
# ``detail``: the backend, the file, or what botocore runs.
KeysOrigin = namedtuple("KeysOrigin", ["source", "detail"])


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


# -- IAM Identity Center ------------------------------------------------------

# A profile that signs in through IAM Identity Center, as the AWS CLI writes it:
# ``sso_session`` naming an ``[sso-session NAME]`` section (start URL, region,
# registration scopes), or the legacy ``sso_start_url`` and ``sso_region`` in
# the profile itself. ``account_id`` and ``role_name`` (``sso_account_id``,
# ``sso_role_name``) name the profile's own role, when it has one.
SsoConfig = namedtuple(
    "SsoConfig", ["profile", "session", "start_url", "region", "scopes", "account_id", "role_name"]
)
_SSO_KEYS = ("sso_session", "sso_start_url")
DEFAULT_SSO_SCOPES = ("sso:account:access",)


def sso_config(profile: str) -> SsoConfig | None:
    """The profile's IAM Identity Center settings, checked; None when it does not use it.

    Read from the config file only, as botocore reads them. Most runs are
    not SSO ones, and they pay for reading the file, not for parsing it.
    """
    from assume_role.state.files import UnsafeFile, read_text

    path = os.path.expanduser(os.path.expandvars(_files()[0]))
    try:
        text = read_text(path)
    except UnsafeFile as exc:
        raise UsageError(f"cannot use {path}: {exc}") from None
    if not text or "sso_" not in text:
        return None
    config = _raw(path)
    if config is None:
        raise UsageError(f"cannot parse the AWS file {path}: it is not in the INI format botocore reads")
    values = _profile_map(config).get(profile, {})
    if not any(values.get(key) for key in _SSO_KEYS):
        return None
    where = f"profile {profile!r} in {path}"
    session = values.get("sso_session")
    if session:
        start_url, region, scopes = _sso_session(config, session, where, path)
    else:
        start_url = _sso_start_url(values.get("sso_start_url"), where)
        region, scopes = _sso_region(values.get("sso_region"), where), ()
    return SsoConfig(profile, session or None, start_url, region, scopes, *_sso_role(values, where))


def sso_session_config(session: str, profile: str, named_by: str) -> SsoConfig:
    """An ``[sso-session NAME]`` used on its own (named by ``named_by``), for ``profile``'s runs."""
    path = os.path.expanduser(os.path.expandvars(_files()[0]))
    config = _raw(path)
    if config is None:
        raise UsageError(f"cannot parse the AWS file {path}: it is not in the INI format botocore reads")
    start_url, region, scopes = _sso_session(config, session, named_by, path)
    return SsoConfig(profile, session, start_url, region, scopes, None, None)


def _sso_session(config: dict, session: str, named_by: str, path: str) -> tuple[str, str, tuple[str, ...]]:
    """(start URL, region, registration scopes) of ``[sso-session NAME]``, checked."""
    _check_sso_word(session, f"the sso_session of {named_by}")
    section = _sso_sessions(config).get(session)
    if section is None:
        raise UsageError(f"{named_by} names sso_session {session!r}, but {path} has no [sso-session {session}]")
    where = f"[sso-session {session}] in {path}"
    scopes = tuple(s.strip() for s in section.get("sso_registration_scopes", "").split(",") if s.strip())
    return (_sso_start_url(section.get("sso_start_url"), where), _sso_region(section.get("sso_region"), where),
            scopes or DEFAULT_SSO_SCOPES)


def _sso_sessions(config: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    sessions = {}
    for section, values in config.items():
        kind, _, name = section.partition(" ")
        if kind == "sso-session" and name.strip():
            sessions[name.strip()] = values
    return sessions


def _check_sso_word(value: str, what: str) -> str:
    # The name keys the session store and the AWS CLI's cache file: printable, one line, no separator.
    if not value.isprintable() or "|" in value or len(value) > 256:
        raise UsageError(f"{what} must be printable, without '|', up to 256 characters")
    return value


def _sso_start_url(value: str | None, where: str) -> str:
    from assume_role.aws.endpoints import well_formed

    if not value:
        raise UsageError(f"{where} needs sso_start_url, the AWS access portal URL")
    if not well_formed(value) or len(value) > 1024:
        raise UsageError(f"the sso_start_url of {where} is not a URL such as https://d-1234567890.awsapps.com/start")
    return value


def _sso_region(value: str | None, where: str) -> str:
    from assume_role import validate

    if not value:
        raise UsageError(f"{where} needs sso_region, the region of IAM Identity Center")
    if not validate.is_region(value):
        raise UsageError(f"the sso_region of {where} must be a region code such as us-east-1")
    return value


def _sso_role(values: dict[str, str], where: str) -> tuple[str | None, str | None]:
    from assume_role import validate

    account, role = values.get("sso_account_id"), values.get("sso_role_name")
    if not account and not role:
        return None, None
    if not (account and role):
        raise UsageError(f"{where} needs both sso_account_id and sso_role_name, or neither")
    if not (len(account) == 12 and account.isascii() and account.isdigit()):
        raise UsageError(f"the sso_account_id of {where} must be 12 digits")
    return account, validate.role_name(role)


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
