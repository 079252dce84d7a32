"""What one run asks for, resolved before the cache or AWS is consulted.

A NamedTuple and no AWS imports: a cache hit builds one too.
"""

from __future__ import annotations

from typing import NamedTuple

from assume_role.accounts import Account
from assume_role.aws.regions import partition


class Request(NamedTuple):
    account: Account
    role: str  # the role name, with its IAM path if it has one: team/deploy
    region: str
    # None: AssumeRole without DurationSeconds, through the MFA session (the
    # console's credentials: the federation endpoint refuses chained role
    # sessions that named a duration).
    duration: int | None
    profile: str
    external_id: str | None
    # ASSUME_ROLE_SESSION_NAME or AWS_USERNAME, already made valid; None
    # means the bastion IAM user's name.
    session_name: str | None = None
    # Opt-in traceability, sent with the bastion's AssumeRole only.
    source_identity: bool = False  # send the IAM user name as SourceIdentity
    tags: tuple[tuple[str, str], ...] = ()  # session tags, sorted by key

    @property
    def role_arn(self) -> str:
        return f"arn:{partition(self.region)}:iam::{self.account.id}:role/{self.role}"

