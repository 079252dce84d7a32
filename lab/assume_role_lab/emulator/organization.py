"""Seeding an AWS Organization into a running emulator (moto serves Organizations).

The management account gets a role the bastion user may assume with MFA, which
is what ``assume-role accounts sync --via`` goes through. Each member account
gets the world's ``read`` and ``admin`` roles, so an account found by the sync
can then be assumed by its alias. Accounts can be suspended (closed) or removed
from the organisation to show how a sync reports them.

``BrokenPaging`` is a ListAccounts that never ends its list, as a faulty
service or proxy could answer: the control API switches it on.
"""

from __future__ import annotations

import json
import threading
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


PAGING_MODES = ("endless", "repeat")


class BrokenPaging:
    """ListAccounts answered with a NextToken on every page, never a last page.

    ``endless``: a new token each page, as a service counting on forever;
    ``repeat``: the same token each page, as one that loops. Each page holds
    ``accounts_per_page`` new active accounts (AWS sends at most 20; more lets
    a test reach a large number of accounts in few requests).
    """

    FIRST_ID = 800000000000

    def __init__(self, mode: str, accounts_per_page: int = 20) -> None:
        if mode not in PAGING_MODES:
            raise ValueError(f"mode must be one of {', '.join(PAGING_MODES)}")
        if accounts_per_page < 0:
            raise ValueError("accounts_per_page must not be negative")
        self.mode, self.accounts_per_page = mode, accounts_per_page
        self._pages = 0
        self._lock = threading.Lock()

    def answer(self) -> tuple[str, list[tuple[str, str]], list[bytes]]:
        """The next page, as the strict layer returns an answer (status, headers, body chunks)."""
        with self._lock:
            number = self._pages
            self._pages += 1
        first = number * self.accounts_per_page
        page = [self._account(first + offset) for offset in range(self.accounts_per_page)]
        token = "repeated-token" if self.mode == "repeat" else f"endless-page-{number + 1}"
        body = json.dumps({"Accounts": page, "NextToken": token}).encode("utf-8")
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))]
        return "200 OK", headers, [body]

    def _account(self, number: int) -> dict:
        account_id = f"{self.FIRST_ID + number:012d}"
        return {
            "Id": account_id,
            "Arn": f"arn:aws:organizations::{MANAGEMENT_ACCOUNT_ID}:account/o-endless/{account_id}",
            "Email": f"endless{number}@example.com",
            "Name": f"Endless {number}",
            "Status": "ACTIVE",
            "JoinedMethod": "CREATED",
            "JoinedTimestamp": 1700000000.0,
        }
