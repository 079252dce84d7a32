"""Look-ups into moto's in-memory IAM state, and the one role session minted here.

The strict layer runs in the same process as moto, so the keys, roles and MFA
devices that clients created through the API are simply read here. IAM
Identity Center's portal, which moto lacks, has its role sessions minted by
moto's STS (``mint_role_session``), so moto knows them as it knows its own.
This is the one module that knows moto's internal attribute names: if a moto
upgrade moves them, only this file changes. They are no public interface, so the lab pins
the moto version they were read from (lab/pyproject.toml).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from moto.core import DEFAULT_ACCOUNT_ID  # noqa: F401  (moto's account for unattributed requests)
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends

PARTITION = "aws"
_ACCOUNT_IN_ARN = re.compile(r"^arn:aws:(?:iam|sts)::(\d{12}):")


@dataclass(frozen=True)
class UserKey:
    """A long-term access key of an IAM user."""

    access_key_id: str
    secret_access_key: str
    active: bool
    account_id: str
    user_name: str
    user_arn: str


@dataclass(frozen=True)
class Role:
    account_id: str
    name: str
    arn: str
    trust_policy: dict[str, Any]
    max_session_duration: int


@dataclass(frozen=True)
class MfaDevice:
    serial: str
    account_id: str
    user_name: str | None  # who it is enabled for, None while unassigned
    seed: str | None  # Base32 seed; None for devices moto only knows by serial


def account_of_arn(arn: str) -> str | None:
    match = _ACCOUNT_IN_ARN.match(arn or "")
    return match.group(1) if match else None


def _accounts() -> list[tuple[str, Any]]:
    # list() because other request threads may add accounts while we iterate.
    return [(account_id, backends[PARTITION]) for account_id, backends in list(iam_backends.items())]


def find_user_key(access_key_id: str) -> UserKey | None:
    """The IAM user key with this id in any account, or None.

    Keys moto made for AssumeRole live in the same table but belong to no user;
    those are never long-term credentials.
    """
    for account_id, backend in _accounts():
        key = backend.access_keys.get(access_key_id)
        if key is None or not key.user_name:
            continue
        user = backend.users.get(key.user_name)
        if user is None:
            continue
        return UserKey(
            access_key_id=access_key_id,
            secret_access_key=key.secret_access_key,
            active=key.status == "Active",
            account_id=account_id,
            user_name=user.name,
            user_arn=user.arn,
        )
    return None


def user_keys() -> list[UserKey]:
    """Every IAM user's long-term access key, in every account."""
    found = []
    for _account_id, backend in _accounts():
        for key_id in list(backend.access_keys):
            key = find_user_key(key_id)
            if key is not None:
                found.append(key)
    return found


def _policy_document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    text = raw or "{}"
    try:
        return json.loads(text)
    except ValueError:
        # Documents sent form-encoded are sometimes stored still percent-encoded.
        return json.loads(unquote(text))


def find_role(role_arn: str) -> Role | None:
    account_id = account_of_arn(role_arn)
    if account_id is None or ":role/" not in role_arn:
        return None
    backend = iam_backends[account_id][PARTITION]
    name = role_arn.rsplit("/", 1)[-1]
    for role in list(backend.roles.values()):
        if role.name == name and role.arn == role_arn:
            return Role(
                account_id=account_id,
                name=role.name,
                arn=role.arn,
                trust_policy=_policy_document(role.assume_role_policy_document),
                max_session_duration=int(role.max_session_duration or 3600),
            )
    return None


def find_mfa_device(serial: str) -> MfaDevice | None:
    """A virtual MFA device by serial (ARN), or a device enabled on some user."""
    for account_id, backend in _accounts():
        device = backend.virtual_mfa_devices.get(serial)
        if device is not None:
            user = getattr(device, "user", None)
            return MfaDevice(
                serial=serial,
                account_id=account_id,
                user_name=user.name if user is not None else None,
                seed=device.base32_string_seed,
            )
    for account_id, backend in _accounts():
        for user in list(backend.users.values()):
            if serial in user.mfa_devices:
                return MfaDevice(serial=serial, account_id=account_id, user_name=user.name, seed=None)
    return None


def user_has_mfa_device(account_id: str, user_name: str, serial: str) -> bool:
    user = iam_backends[account_id][PARTITION].users.get(user_name)
    return user is not None and serial in user.mfa_devices


def user_inline_policies(account_id: str, user_name: str) -> list[dict[str, Any]]:
    """The policy documents put on the user itself (PutUserPolicy)."""
    user = iam_backends[account_id][PARTITION].users.get(user_name)
    if user is None:
        return []
    documents = []
    for raw in list(user.policies.values()):
        try:
            documents.append(_policy_document(raw))
        except ValueError:
            continue
    return documents


def organization_standing(account_id: str) -> str | None:
    """"management" for an organisation's management account, "member", or None."""
    if organizations_backends[account_id][PARTITION].org is not None:
        return "management"
    if account_id in organizations_backends.master_accounts:
        return "member"
    return None


def find_saml_provider(provider_arn: str) -> str | None:
    """The metadata document of the SAML provider with this ARN, or None."""
    account_id = account_of_arn(provider_arn)
    if account_id is None or ":saml-provider/" not in provider_arn:
        return None
    for provider in list(iam_backends[account_id][PARTITION].saml_providers.values()):
        if provider.arn == provider_arn:
            return provider.saml_metadata_document or ""
    return None


def file_saml_session_under_its_account(access_key_id: str) -> None:
    """Make moto's GetCallerIdentity know a session from AssumeRoleWithSAML.

    moto keeps such sessions in the STS backend that served the (unsigned)
    call, while GetCallerIdentity looks in the backend of the role's account.
    """
    from moto.sts.models import sts_backends

    for account_id, backends in list(sts_backends.items()):
        for partition, backend in list(backends.items()):
            for session in list(backend.assumed_roles):
                if session.access_key_id == access_key_id and session.account_id != account_id:
                    sts_backends[session.account_id][partition].assumed_roles.append(session)
                    return


@dataclass(frozen=True)
class MintedSession:
    access_key_id: str
    secret_access_key: str
    session_token: str
    arn: str  # the assumed-role ARN GetCallerIdentity answers


def mint_role_session(role_arn: str, session_name: str, seconds: int) -> MintedSession:
    """A session of ``role_arn`` made by moto's STS, as AssumeRole makes one (no trust check).

    moto files it under the role's account, so GetCallerIdentity signed with
    it names ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``.
    """
    from moto.sts.models import sts_backends

    account_id = account_of_arn(role_arn) or DEFAULT_ACCOUNT_ID
    session = sts_backends[account_id][PARTITION].assume_role(
        region_name="us-east-1", role_session_name=session_name, role_arn=role_arn,
        policy="", duration=seconds, external_id="",
    )
    return MintedSession(session.access_key_id, session.secret_access_key, session.session_token, session.arn)
