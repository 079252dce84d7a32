"""The bastion profile as the MFA flow uses it: one contract, two clients.

A profile of an IAM user's plain keys is read by ``aws.profiles`` and served
by the standard-library client of ``aws.query`` (``PlainBastion``): no
botocore import, which is most of a role switch's time, also with a custom
endpoint. Any other profile (SSO, ``credential_process``, roles, FIPS or
dual-stack endpoints, proxies) gets botocore's
session (``aws.sdk.SdkBastion``). ``signin.mfa_flow.open_bastion`` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from assume_role.credentials import Credentials


class Bastion(ABC):
    """What the MFA flow asks of the bastion profile.

    ``profile``: its name; ``config``: its settings as botocore reads them;
    ``region``: where its STS calls go (set by the flow from the request).
    Every call fails only with one-line ``AssumeRoleError``s.
    """

    profile: str
    config: dict
    region: str | None = None

    @abstractmethod
    def credentials(self) -> Credentials:
        """The profile's long-term keys (or whatever its provider gives)."""

    @abstractmethod
    def caller_arn(self, credentials: Credentials) -> str:
        """sts:GetCallerIdentity's ARN."""

    @abstractmethod
    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        """iam:ListMFADevices of ``user_name``."""

    @abstractmethod
    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        """sts:GetSessionToken with an MFA code: sent once, never retried after it may have arrived."""

    @abstractmethod
    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        """sts:AssumeRole with ``params`` as AWS names them."""


class PlainBastion(Bastion):
    """A profile holding static keys, served without botocore."""

    def __init__(self, profile: str, plain):
        self.profile = profile
        self.config = plain.settings
        self._services = plain.services
        self._keys = Credentials(plain.access_key_id, plain.secret_access_key, plain.session_token)
        self.region = None

    def credentials(self) -> Credentials:
        return self._keys

    def _client(self):
        from assume_role import settings
        from assume_role.aws import query

        return query.Client(self.region or settings.DEFAULT_REGION, self.config, self._services)

    def caller_arn(self, credentials: Credentials) -> str:
        return self._client().caller_arn(credentials)

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self._client().mfa_serials(keys, user_name)

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return self._client().session_token(keys, serial, code, duration)

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return self._client().assume_role(credentials, **params)
