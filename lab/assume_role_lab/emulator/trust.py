"""Evaluating a role's trust policy for sts:AssumeRole, the way IAM does.

moto accepts any AssumeRole or AssumeRoleWithSAML. Real IAM only lets a
principal in when a statement of the role's trust policy allows it and none
denies it, and the statement's conditions (MFA present, external id, SAML
audience) hold for the request. ``denies`` reads a user's own (identity)
policy the same way, for its explicit denies only: moto evaluates no IAM
policy, and the lab's worlds grant everything else.
Only the condition operators a trust policy plausibly uses are known; an
unknown operator never matches, so an unsupported policy fails closed.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who asks, and the request context keys IAM would evaluate conditions against."""

    arn: str
    account_id: str
    # The role ARN behind an assumed-role session, which trust policies may name.
    role_arn: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    # A SAML provider (arn is its ARN): matched by "Federated", never by "AWS".
    federated: bool = False

    def principal_names(self) -> set[str]:
        names = {self.arn, self.account_id, f"arn:aws:iam::{self.account_id}:root"}
        if self.role_arn:
            names.add(self.role_arn)
        return names


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(
            fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(statement["NotAction"])
        )
    return False


def _principal_listed(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if caller.federated:
        return caller.arn in _as_list(principal.get("Federated"))
    names = caller.principal_names()
    return any(entry == "*" or entry in names for entry in _as_list(principal.get("AWS")))


def _principal_matches(statement: dict[str, Any], caller: Caller) -> bool:
    if "Principal" in statement:
        return _principal_listed(statement["Principal"], caller)
    if "NotPrincipal" in statement:
        return not _principal_listed(statement["NotPrincipal"], caller)
    return False


_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals"}


def _compare(operator: str, actual: str, expected: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return actual == expected
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual != expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if operator == "StringNotEqualsIgnoreCase":
        return actual.lower() != expected.lower()
    if operator in ("StringLike", "ArnLike"):
        return fnmatch.fnmatchcase(actual, expected)
    if operator in ("StringNotLike", "ArnNotLike"):
        return not fnmatch.fnmatchcase(actual, expected)
    if operator == "Bool":
        return actual.lower() == expected.lower()
    if operator.startswith("Numeric"):
        try:
            a, b = float(actual), float(expected)
        except ValueError:
            return False
        return {
            "NumericEquals": a == b,
            "NumericNotEquals": a != b,
            "NumericLessThan": a < b,
            "NumericLessThanEquals": a <= b,
            "NumericGreaterThan": a > b,
            "NumericGreaterThanEquals": a >= b,
        }.get(operator, False)
    raise KeyError(operator)


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    # Keys are case-insensitive in IAM.
    lowered = {k.lower(): v for k, v in context.items()}
    actual = lowered.get(key.lower())
    expected_values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(expected)]
    if operator == "Null":
        wanted_absent = expected_values[0].lower() == "true" if expected_values else True
        return (actual is None) == wanted_absent
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists").split(":")[-1]  # drop ForAnyValue:/ForAllValues:
    if actual is None:
        # A missing key satisfies "...IfExists" and the negated operators only.
        return if_exists or base in _NEGATED
    try:
        results = [_compare(base, actual, value) for value in expected_values]
    except KeyError:
        return False
    # Several values for one key are alternatives, except for negated operators.
    return all(results) if base in _NEGATED else any(results)


def _conditions_hold(statement: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in (statement.get("Condition") or {}).items():
        if not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def allows(policy: dict[str, Any], caller: Caller, action: str = "sts:AssumeRole") -> bool:
    """Whether ``policy`` lets ``caller`` perform ``action``: an explicit deny wins."""
    allowed = False
    for statement in _as_list(policy.get("Statement")):
        if not isinstance(statement, dict):
            continue
        if not (_action_matches(statement, action) and _principal_matches(statement, caller)):
            continue
        if not _conditions_hold(statement, caller.context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def denies(policy: dict[str, Any], action: str, context: dict[str, str]) -> bool:
    """Whether an identity policy (no Principal) explicitly denies ``action`` in ``context``.

    Resources are not compared: the lab's identity policies name the user's
    own keys, which are the only ones its users act on.
    """
    for statement in _as_list(policy.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        if _action_matches(statement, action) and _conditions_hold(statement, context):
            return True
    return False
