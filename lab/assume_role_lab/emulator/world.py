"""Seeding the standard test world into a running emulator, through boto3.

The world is what the tool expects to find in AWS: a bastion account with an
IAM user who has an access key and a virtual MFA device, and may change its
keys only with MFA (``key_policy``), and two target accounts whose ``read`` and ``admin`` roles trust the bastion account when MFA
was used and the external id is the target account's id. Each target account
also registers the SAML provider ``test-idp``, which the roles trust for
AssumeRoleWithSAML (the original tool's other way in).

For bastion profiles whose credentials are temporary (a role profile, SSO,
``aws login``), the bastion account has a ``hub`` role its users may assume
without MFA, and each target account an ``ops`` role that trusts that hub
role, without MFA, with the external id.

moto keeps one set of backends per account and picks the account from the
``x-moto-account-id`` header (after the MOTO_ACCOUNT_ID variable, before the
account owning the request's key). The strict layer only lets that header
through for its admin key, which is why seeding uses that key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from . import saml_assertion, totp
from .control import Control

BASTION_ACCOUNT_ID = "123456789012"  # moto's default account
PRODUCTION_ACCOUNT_ID = "111111111111"
STAGING_ACCOUNT_ID = "222222222222"
TARGET_ACCOUNTS = {"production": PRODUCTION_ACCOUNT_ID, "staging": STAGING_ACCOUNT_ID}
ROLE_NAMES = ("read", "admin")
MAX_SESSION_DURATION = 43200
REGION = "us-east-1"
# The identity provider registered in every target account, for AssumeRoleWithSAML.
SAML_PROVIDER_NAME = "test-idp"
SAML_ISSUER = "https://idp.example.test/saml"
# A role in the bastion account, and the role in each target account that trusts it.
HUB_ROLE = "hub"
HUB_TARGET_ROLE = "ops"


@dataclass(frozen=True)
class World:
    endpoint: str
    region: str
    bastion_account_id: str
    accounts: dict[str, str]  # alias -> account id, as in ~/.aws/accounts
    roles: tuple[str, ...]
    user_name: str
    user_arn: str
    access_key_id: str
    secret_access_key: str
    mfa_serial: str
    mfa_seed: str  # Base32, as a virtual MFA app would store it
    max_session_duration: int = MAX_SESSION_DURATION
    saml_provider_name: str = SAML_PROVIDER_NAME
    saml_issuer: str = SAML_ISSUER
    hub_role: str = HUB_ROLE
    hub_target_role: str = HUB_TARGET_ROLE
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production_account_id(self) -> str:
        return self.accounts["production"]

    @property
    def staging_account_id(self) -> str:
        return self.accounts["staging"]

    def account_id(self, alias_or_id: str) -> str:
        return self.accounts.get(alias_or_id, alias_or_id)

    def role_arn(self, account: str, role: str) -> str:
        return f"arn:aws:iam::{self.account_id(account)}:role/{role}"

    @property
    def hub_role_arn(self) -> str:
        return f"arn:aws:iam::{self.bastion_account_id}:role/{self.hub_role}"

    def saml_provider_arn(self, account: str) -> str:
        return f"arn:aws:iam::{self.account_id(account)}:saml-provider/{self.saml_provider_name}"

    def totp(self, when: float | None = None) -> str:
        """The code the user's MFA app would show now; each code works only once."""
        return totp.totp(self.mfa_seed, when)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> World:
        data = dict(data)
        data["roles"] = tuple(data["roles"])
        return cls(**data)


def trust_policy(bastion_account_id: str, external_id: str, saml_provider_arn: str | None = None) -> dict[str, Any]:
    """Trust the bastion account's principals, only with MFA and the agreed external id.

    With ``saml_provider_arn``, also sign-ins through that SAML provider meant for AWS.
    """
    federated = [
        {
            "Effect": "Allow",
            "Principal": {"Federated": saml_provider_arn},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": saml_assertion.AWS_RECIPIENT}},
        }
    ] if saml_provider_arn else []
    return {
        "Version": "2012-10-17",
        "Statement": federated + [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{bastion_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "StringEquals": {"sts:ExternalId": external_id},
                },
            }
        ],
    }


def hub_trust_policy(bastion_account_id: str) -> dict[str, Any]:
    """The hub role: any principal of the bastion account, no MFA (a role profile's source_profile signs in with keys)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{bastion_account_id}:root"}, "Action": "sts:AssumeRole"}
        ],
    }


def hub_target_trust_policy(hub_role_arn: str, external_id: str) -> dict[str, Any]:
    """A target role for sessions of the hub role: no MFA condition (they carry none), the external id kept."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": hub_role_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def key_policy() -> dict[str, Any]:
    """The user's own policy: no access-key change, nor listing, without MFA.

    As in AWS's examples of users managing their own credentials: the deny
    holds when the request carries no MFA (``BoolIfExists``: long-term keys
    carry no MFA key at all), so key rotation needs an MFA session.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoAccessKeyChangesWithoutMFA",
                "Effect": "Deny",
                "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateAccessKey", "iam:ListAccessKeys"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        ],
    }


KEY_POLICY_NAME = "access-keys-only-with-mfa"


def admin_client(endpoint: str, service: str, account_id: str, *, region: str = REGION) -> Any:
    """A boto3 client acting with the emulator's admin key inside ``account_id``.

    For arranging state a test needs (an extra role, a deleted key); the strict
    rules do not apply to it and its calls are not counted.
    """
    import boto3

    admin = Control(endpoint).admin_credentials()
    client = boto3.session.Session(
        aws_access_key_id=admin["access_key_id"],
        aws_secret_access_key=admin["secret_access_key"],
        region_name=region,
    ).client(service, endpoint_url=endpoint)

    def choose_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    client.meta.events.register(f"before-sign.{client.meta.service_model.service_id.hyphenize()}.*", choose_account)
    return client


def seed_world(
    endpoint: str,
    *,
    user_name: str = "alice",
    target_accounts: dict[str, str] | None = None,
    region: str = REGION,
    keys_need_mfa: bool = True,
) -> World:
    """Create the user, MFA device and roles; return what clients need to know.

    Another ``user_name`` gives an extra, independent user in the same world
    (roles that already exist are kept). ``keys_need_mfa``: the user gets
    ``key_policy``, so its own access keys change only under MFA.
    """
    targets = dict(target_accounts or TARGET_ACCOUNTS)
    bastion = admin_client(endpoint, "iam", BASTION_ACCOUNT_ID, region=region)

    user = bastion.create_user(UserName=user_name)["User"]
    key = bastion.create_access_key(UserName=user_name)["AccessKey"]
    if keys_need_mfa:
        bastion.put_user_policy(UserName=user_name, PolicyName=KEY_POLICY_NAME, PolicyDocument=json.dumps(key_policy()))
    device = bastion.create_virtual_mfa_device(VirtualMFADeviceName=user_name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    seed = seed.decode("ascii") if isinstance(seed, bytes) else seed
    # IAM wants two consecutive codes to enable a virtual device.
    step = totp.time_step()
    bastion.enable_mfa_device(
        UserName=user_name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.code_for_step(seed, step - 1),
        AuthenticationCode2=totp.code_for_step(seed, step),
    )

    hub_role_arn = f"arn:aws:iam::{BASTION_ACCOUNT_ID}:role/{HUB_ROLE}"
    if HUB_ROLE not in {role["RoleName"] for role in bastion.list_roles()["Roles"]}:
        bastion.create_role(
            RoleName=HUB_ROLE,
            AssumeRolePolicyDocument=json.dumps(hub_trust_policy(BASTION_ACCOUNT_ID)),
            Description="assumed by the bastion users without MFA; the ops roles trust it",
        )

    for account_id in targets.values():
        iam = admin_client(endpoint, "iam", account_id, region=region)
        providers = [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
        provider_arn = f"arn:aws:iam::{account_id}:saml-provider/{SAML_PROVIDER_NAME}"
        if provider_arn not in providers:
            iam.create_saml_provider(
                Name=SAML_PROVIDER_NAME, SAMLMetadataDocument=saml_assertion.metadata_document(SAML_ISSUER)
            )
        existing = {role["RoleName"] for role in iam.list_roles()["Roles"]}
        for role in ROLE_NAMES:
            if role in existing:
                continue
            iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=json.dumps(trust_policy(BASTION_ACCOUNT_ID, account_id, provider_arn)),
                MaxSessionDuration=MAX_SESSION_DURATION,
                Description=f"{role} access, assumed from the bastion account with MFA",
            )
        if HUB_TARGET_ROLE not in existing:
            iam.create_role(
                RoleName=HUB_TARGET_ROLE,
                AssumeRolePolicyDocument=json.dumps(hub_target_trust_policy(hub_role_arn, account_id)),
                Description="assumed with sessions of the bastion account's hub role",
            )

    return World(
        endpoint=endpoint,
        region=region,
        bastion_account_id=BASTION_ACCOUNT_ID,
        accounts=targets,
        roles=ROLE_NAMES,
        user_name=user_name,
        user_arn=user["Arn"],
        access_key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
        mfa_serial=device["SerialNumber"],
        mfa_seed=seed,
    )


# -- IAM Identity Center ---------------------------------------------------------

SSO_START_URL = "https://d-90670c0ffee.awsapps.com/start"
SSO_USER = "alice@example.com"
# The permission set whose role in the bastion account is the hub of hub and spoke.
HUB_PERMISSION_SET = "Bastion"
SSO_ASSIGNMENTS = {
    # account id -> (account name, {permission set: session seconds})
    PRODUCTION_ACCOUNT_ID: ("Production", {"AdministratorAccess": 3600, "ReadOnlyAccess": 8 * 3600}),
    STAGING_ACCOUNT_ID: ("Staging", {"ReadOnlyAccess": 8 * 3600}),
    BASTION_ACCOUNT_ID: ("Bastion", {HUB_PERMISSION_SET: 4 * 3600}),
}


@dataclass(frozen=True)
class SsoWorld:
    """What an IAM Identity Center configuration needs to know of the emulator's instance."""

    endpoint: str
    start_url: str
    region: str
    user: str
    # account id -> (account name, {permission set: session seconds})
    assignments: dict[str, tuple[str, dict[str, int]]]
    hub_account_id: str = BASTION_ACCOUNT_ID
    hub_permission_set: str = HUB_PERMISSION_SET

    def permission_sets(self, account_id: str) -> list[str]:
        return sorted(self.assignments[account_id][1])

    @property
    def hub_role_arn(self) -> str:
        from .identity_center import role_arn

        return role_arn(self.hub_account_id, self.hub_permission_set)


def seed_identity_center(endpoint: str, world: World, *, user: str = SSO_USER,
                         start_url: str = SSO_START_URL) -> SsoWorld:
    """The instance's start URL, the person's assignments, and hub-and-spoke trust.

    The target roles ``read`` and ``admin`` also trust the hub role (the
    ``Bastion`` permission set's role in the bastion account) with the
    account id as ExternalId, as an organisation trusting its SSO bastion does.
    """
    control = Control(endpoint)
    control.sso_start_url(start_url, world.region)
    for account_id, (name, sets) in SSO_ASSIGNMENTS.items():
        for permission_set, seconds in sets.items():
            control.sso_assign(user, account_id, permission_set, account_name=name, session_seconds=seconds)
    sso = SsoWorld(endpoint, start_url, world.region, user, dict(SSO_ASSIGNMENTS))
    for account_id in world.accounts.values():
        iam = admin_client(endpoint, "iam", account_id, region=world.region)
        for role in world.roles:
            policy = json.loads(json.dumps(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]))
            if isinstance(policy, str):
                from urllib.parse import unquote

                policy = json.loads(unquote(policy))
            statement = {
                "Effect": "Allow",
                "Principal": {"AWS": sso.hub_role_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": account_id}},
            }
            if statement not in policy["Statement"]:
                policy["Statement"].append(statement)
                iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(policy))
    return sso
