"""What one run asks for, resolved before the cache or AWS is consulted.

A record and no AWS imports: a cache hit builds one too.
"""

from __future__ import annotations


from assume_role.record import record
from assume_role.aws.regions import partition

_FIELDS = [
    "account",  # an accounts.Account
    "role",  # the role name, with its IAM path if it has one: team/deploy
    "region",
    # None: AssumeRole without DurationSeconds, through the MFA session (the
    # console's credentials: the federation endpoint refuses chained role
    # sessions that named a duration).
    "duration",
    "profile",
    "external_id",
    # ASSUME_ROLE_SESSION_NAME or AWS_USERNAME, already made valid; None
    # means the bastion IAM user's name.
    "session_name",
    # Opt-in traceability, sent with the bastion's AssumeRole only: the IAM
    # user name as SourceIdentity, and session tags sorted by key.
    "source_identity",
    "tags",
]


class Request(record("Request", _FIELDS, defaults=(None, False, ()))):
    __slots__ = ()

    @property
    def role_arn(self) -> str:
        return f"arn:{partition(self.region)}:iam::{self.account.id}:role/{self.role}"

