"""The bastion profile, opened the cheapest way that reads it correctly.

A profile of an IAM user's plain keys is read by ``profiles`` and served by
the standard-library clients of ``query_api``: no botocore import, which is
most of a role switch's time. Any other profile (SSO, ``credential_process``,
roles, custom endpoints, proxies) gets botocore's session (``aws.Bastion``).
Both offer ``profile``, ``config``, ``region``, ``config_region()``,
``credentials()`` and the four calls of the flow: ``caller_arn``,
``mfa_serials``, ``session_token`` and ``assume_role``.
"""

from __future__ import annotations

from assume_role.credentials import Credentials

class PlainBastion:
    """A profile holding static keys, served without botocore."""

    def __init__(self, profile: str, plain):
        self.profile = profile
        self.config = plain.settings
        self._keys = Credentials(plain.access_key_id, plain.secret_access_key, plain.session_token)
        self.region: str | None = None

    def config_region(self) -> str | None:
        return self.config.get("region")

    def credentials(self) -> Credentials:
        return self._keys

    def _client(self):
        from assume_role import settings
        from assume_role.aws import query as query_api

        return query_api.Client(self.region or settings.DEFAULT_REGION, self.config.get("ca_bundle"))

    def caller_arn(self, credentials: Credentials) -> str:
        return self._client().caller_arn(credentials)

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self._client().mfa_serials(keys, user_name)

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return self._client().session_token(keys, serial, code, duration)

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return self._client().assume_role(credentials, **params)


def open_bastion(profile: str):
    from assume_role.aws import profiles

    profiles.scrub_environment()
    plain = profiles.plain_profile(profile)
    if plain is not None:
        return PlainBastion(profile, plain)
    from assume_role.aws.sdk import Bastion

    return Bastion(profile)
