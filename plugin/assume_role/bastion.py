"""The bastion profile, opened the cheapest way that reads it correctly.

A profile of an IAM user's plain keys is read by ``profiles`` and served by
the standard-library clients of ``query_api``: no botocore import, which is
most of a role switch's time, also with a custom endpoint. Any other profile
(SSO, ``credential_process``, roles, FIPS or dual-stack endpoints, proxies)
gets botocore's session (``aws.Bastion``).
Both offer ``profile``, ``config``, ``region``, ``config_region()``,
``credentials()`` and the four calls of the flow: ``caller_arn``,
``mfa_serials``, ``session_token`` and ``assume_role``.
"""

from __future__ import annotations

import os

from assume_role.credentials import Credentials

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


class PlainBastion:
    """A profile holding static keys, served without botocore."""

    def __init__(self, profile: str, plain):
        self.profile = profile
        self.config = plain.settings
        self._services = plain.services
        self._keys = Credentials(plain.access_key_id, plain.secret_access_key, plain.session_token)
        self.region: str | None = None

    def config_region(self) -> str | None:
        return self.config.get("region")

    def credentials(self) -> Credentials:
        return self._keys

    def _client(self):
        from assume_role import query_api, settings

        return query_api.Client(self.region or settings.DEFAULT_REGION, self.config, self._services)

    def caller_arn(self, credentials: Credentials) -> str:
        return self._client().caller_arn(credentials)

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self._client().mfa_serials(keys, user_name)

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return self._client().session_token(keys, serial, code, duration)

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return self._client().assume_role(credentials, **params)


def open_bastion(profile: str):
    from assume_role.profiles import plain_profile

    scrub_environment()
    plain = plain_profile(profile)
    if plain is not None:
        return PlainBastion(profile, plain)
    from assume_role.aws import Bastion

    return Bastion(profile)
