"""The bastion profile as the MFA flow uses it: one contract, two clients.

A profile of an IAM user's plain keys is read by ``aws.profiles`` and served
by the standard-library client of ``aws.query`` (``PlainBastion``): no
botocore import, which is most of a role switch's time, also with a custom
endpoint. Any other profile (SSO, ``credential_process``, roles, FIPS or
dual-stack endpoints, proxies) gets botocore's session
(``aws.sdk.SdkBastion``). ``signin.mfa_flow.open_bastion`` picks one.

The long-term keys themselves may come from elsewhere than the profile's
files: the OS keyring (``state.key_store.Held``, when ``keys add`` put them
there), or keys given for one run (``GivenKeys``, ``keys add`` checking them
before they are stored). Either is a *key source*: an ``access_key_id`` known
without reading the secret, ``read()`` giving the pair (None: none there any
more), and ``where`` naming it in messages. With a source, the profile's
files give only its settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from assume_role.credentials import Credentials
from assume_role.errors import CredentialsError
from assume_role.validate import printable


class GivenKeys:
    """A key source of keys given for this run."""

    where = "the keys given"

    def __init__(self, keys: Credentials):
        self.keys = keys
        self.access_key_id = keys.access_key_id

    def read(self) -> Credentials:
        return self.keys


class Bastion(ABC):
    """What the MFA flow (and ``keys``) asks of the bastion profile.

    ``profile``: its name; ``config``: its settings as botocore reads them;
    ``region``: where its STS calls go (set by the flow from the request);
    ``source``: where its long-term keys come from when not from its files
    (a key source, see the module's doc), else None.
    Every call fails only with one-line ``AssumeRoleError``s.
    """

    profile: str
    config: dict
    region: str | None = None
    source = None

    def credentials(self) -> Credentials:
        """The profile's long-term keys (or whatever its provider gives): the source's first."""
        if self.source is None:
            return self.profile_credentials()
        found = self.source.read()
        if found is not None:
            return found
        shown = printable(self.profile)
        raise CredentialsError(
            f"profile {shown!r} keeps its keys in {self.source.where}, but it holds none for it any more: "
            f"store them again with assume-role keys add {shown}"
        )

    @abstractmethod
    def profile_credentials(self) -> Credentials:
        """The keys the profile's own files (or their provider) give."""

    def key_id(self) -> str:
        """The access key the profile holds now, read as cheaply as it can be.

        A source knows it without its secret (the keyring's index); keys written
        in the profile are read from it as they stand, without the credential
        chain; only a profile whose keys come from a credential_process has to
        run it to know which keys it gives.
        """
        if self.source is not None:
            return self.source.access_key_id
        config = self.config
        named = None if config.get("credential_process") else config.get("aws_access_key_id")
        return named if isinstance(named, str) and named else self.credentials().access_key_id

    def checked(self, credentials: Credentials, call):
        """``call()``, signed with ``credentials``; AWS refusing the source's keys says where they are."""
        from assume_role.aws.errors import CredentialsRejected

        try:
            return call()
        except CredentialsRejected as exc:
            source = self.source
            if source is None or credentials.access_key_id != source.access_key_id or exc.code == "ExpiredToken":
                raise
            shown = printable(self.profile)
            raise CredentialsRejected(
                f"AWS rejected the access key {credentials.access_key_id} from {source.where} for profile "
                f"{shown!r} ({exc.code}): it is deleted or deactivated; store a working one with "
                f"assume-role keys add {shown}",
                exc.code,
            ) from None

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

    # -- the user's own access keys (keys rotate) ----------------------------------

    @abstractmethod
    def access_keys(self, credentials: Credentials, user_name: str) -> list[tuple[str, str]]:
        """iam:ListAccessKeys: (key id, status) of each of ``user_name``'s keys."""

    @abstractmethod
    def create_access_key(self, credentials: Credentials, user_name: str) -> Credentials:
        """iam:CreateAccessKey: the new pair; never sent twice once it may have arrived."""

    @abstractmethod
    def delete_access_key(self, credentials: Credentials, user_name: str, access_key_id: str) -> None:
        """iam:DeleteAccessKey."""


class PlainBastion(Bastion):
    """A profile holding static keys (or a key source and settings), served without botocore."""

    def __init__(self, profile: str, plain, source=None):
        self.profile = profile
        self.config = plain.settings
        self._services = plain.services
        self._keys = (
            Credentials(plain.access_key_id, plain.secret_access_key, plain.session_token)
            if plain.access_key_id
            else None
        )
        self.source = source
        self.region = None

    def profile_credentials(self) -> Credentials:
        if self._keys is None:
            shown = printable(self.profile)
            raise CredentialsError(
                f"no AWS keys for profile {shown!r}: add them with assume-role keys add {shown}, "
                "or to ~/.aws/credentials"
            )
        return self._keys

    def _client(self):
        from assume_role import settings
        from assume_role.aws import query

        return query.Client(self.region or settings.DEFAULT_REGION, self.config, self._services)

    def caller_arn(self, credentials: Credentials) -> str:
        return self.checked(credentials, lambda: self._client().caller_arn(credentials))

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self.checked(keys, lambda: self._client().mfa_serials(keys, user_name))

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return self.checked(keys, lambda: self._client().session_token(keys, serial, code, duration))

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return self.checked(credentials, lambda: self._client().assume_role(credentials, **params))

    def access_keys(self, credentials: Credentials, user_name: str) -> list[tuple[str, str]]:
        return self.checked(credentials, lambda: self._client().access_keys(credentials, user_name))

    def create_access_key(self, credentials: Credentials, user_name: str) -> Credentials:
        return self.checked(credentials, lambda: self._client().create_access_key(credentials, user_name))

    def delete_access_key(self, credentials: Credentials, user_name: str, access_key_id: str) -> None:
        self.checked(credentials, lambda: self._client().delete_access_key(credentials, user_name, access_key_id))
