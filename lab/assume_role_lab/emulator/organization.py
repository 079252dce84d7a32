"""Seeding an AWS Organization into a running emulator (moto serves Organizations).

The management account gets a role the bastion user may assume with MFA, which
is what ``assume-role accounts sync --via`` goes through. Each member account
gets the world's ``read`` and ``admin`` roles, so an account found by the sync
can then be assumed by its alias. Accounts can be suspended (closed) or removed
from the organisation to show how a sync reports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .world import BASTION_ACCOUNT_ID, MAX_SESSION_DURATION, REGION, ROLE_NAMES, admin_client, trust_policy

MANAGEMENT_ACCOUNT_ID = "333333333333"
SYNC_ROLE = "org-reader"


@dataclass(frozen=True)
class Organization:
    management_account_id: str
    sync_role: str
    members: dict[str, str]  # account Name -> id, every member ever created (removed ones too)
    suspended: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def via(self) -> str:
        return f"{self.management_account_id}:{self.sync_role}"


def seed_organization(
    endpoint: str,
    names: list[str],
    *,
    suspend: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    management_account_id: str = MANAGEMENT_ACCOUNT_ID,
    region: str = REGION,
) -> Organization:
    """Create the organisation with a member per name; suspend or remove some by name."""
    org = admin_client(endpoint, "organizations", management_account_id, region=region)
    org.create_organization(FeatureSet="ALL")
    members: dict[str, str] = {}
    for index, name in enumerate(names):
        status = org.create_account(Email=f"member{index}@example.com", AccountName=name)["CreateAccountStatus"]
        members[name] = status["AccountId"]
    for account_id in [management_account_id, *members.values()]:
        iam = admin_client(endpoint, "iam", account_id, region=region)
        wanted = {SYNC_ROLE} if account_id == management_account_id else set(ROLE_NAMES)
        existing = {role["RoleName"] for role in iam.list_roles()["Roles"]}
        for role in sorted(wanted - existing):
            iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=json.dumps(trust_policy(BASTION_ACCOUNT_ID, account_id)),
                MaxSessionDuration=MAX_SESSION_DURATION,
            )
    for name in suspend:
        org.close_account(AccountId=members[name])
    for name in remove:
        org.remove_account_from_organization(AccountId=members[name])
    return Organization(management_account_id, SYNC_ROLE, members, tuple(suspend), tuple(remove))
