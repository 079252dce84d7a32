"""The bastion profile's ``region``, read the way botocore reads it.

The region is resolved before the role cache is asked, and a cache hit must
not import botocore, so this module reads the shared files itself with the
parser botocore uses (``configparser.RawConfigParser``) and botocore's rules:

* the config file is ``$AWS_CONFIG_FILE`` (default ``~/.aws/config``), the
  credentials file ``$AWS_SHARED_CREDENTIALS_FILE`` (default
  ``~/.aws/credentials``), both with ``~`` and ``$VAR`` expanded;
* in the config file a profile is ``[profile NAME]`` (the section name split
  like a shell word list, exactly two words) or ``[default]``;
* in the credentials file every section is a profile, and its values
  override the config file's for the same profile.

A test compares the answers with botocore's on the same files.
"""

from __future__ import annotations

import os
import shlex

from assume_role.errors import UsageError


def profile_region(profile: str) -> str | None:
    """The ``region`` of ``profile`` in the shared files, if any names one."""
    values: dict[str, str] | None = None
    for section, options in _parse(_path("AWS_CONFIG_FILE", "~/.aws/config")).items():
        if _config_profile(section) == profile:
            values = options  # a later section replaces an earlier one whole
    credentials = _parse(_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))
    if profile in credentials:
        values = {**(values or {}), **credentials[profile]}
    region = (values or {}).get("region")
    # An indented block is a nested section in botocore, never a region.
    if not region or region.startswith("\n"):
        return None
    return region


def _config_profile(section: str) -> str | None:
    if section == "default":
        return "default"
    if not section.startswith("profile"):
        return None
    try:
        words = shlex.split(section)
    except ValueError:
        return None
    return words[1] if len(words) == 2 else None


def _path(variable: str, default: str) -> str:
    path = os.environ[variable] if variable in os.environ else default
    return os.path.expanduser(os.path.expandvars(path))


def _parse(path: str) -> dict[str, dict[str, str]]:
    if not os.path.isfile(path):
        return {}
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError) as exc:
        # Never the parser's message: it quotes lines, which may hold keys.
        line = getattr(exc, "lineno", None) or next((n for n, _ in getattr(exc, "errors", [])), None)
        where = f" at line {line}" if line else ""
        raise UsageError(f"cannot parse the AWS file {path}{where}: it is not in the INI format botocore reads") from None
    return {section: {option: parser.get(section, option) for option in parser.options(section)} for section in parser.sections()}
