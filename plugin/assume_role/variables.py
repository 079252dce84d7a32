"""The environment variables the tool exports into a shell: their names, and their values for a role.

Kept apart from the emitters so that ``clear`` and the shell plugins agree on
one list, and so that importing it costs nothing.
"""

from __future__ import annotations

from datetime import timezone

# Credentials and identity of the assumed role (the original tool's contract).
CREDENTIALS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)
IDENTITY = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCOUNT_ID",
    "AWS_ACCOUNT_NAME",
    "AWS_ACCOUNT_ROLE",
    "AWS_CREDENTIAL_EXPIRATION",
    "ASSUME_ROLE_EXPIRES_AT",
    # The access key id assume-role exported (an id, not a secret). When
    # another tool replaces the credentials, AWS_ACCESS_KEY_ID no longer
    # matches it, and the prompt and status stop claiming the role.
    "ASSUME_ROLE_ACCESS_KEY_ID",
)
# The MFA session kept in this shell's environment when no cache backend keeps
# it (the original tool's behaviour), so a role switch needs no new MFA code.
MFA_SESSION = "ASSUME_ROLE_MFA_SESSION"

EXPORTED = CREDENTIALS + IDENTITY + (MFA_SESSION,)

# Unset on every assume. The AWS CLI and boto3 (botocore) keep using the
# exported keys when AWS_PROFILE is set, but the JavaScript SDK v3 lets the
# profile win and would silently run as the bastion user; other settings of
# that profile (its region for one) would leak into every tool as well.
UNSET_ON_ASSUME = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def for_role(credentials, account_alias: str, account_id: str, role: str, region: str) -> dict[str, str]:
    expiration = credentials.expiration.astimezone(timezone.utc).replace(microsecond=0)
    values = {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token or "",
        # Older SDKs and tools still read the boto2-era name.
        "AWS_SECURITY_TOKEN": credentials.session_token or "",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCOUNT_ID": account_id,
        "AWS_ACCOUNT_NAME": account_alias,
        "AWS_ACCOUNT_ROLE": role,
        # RFC 3339 with an explicit offset: botocore and starship parse it.
        "AWS_CREDENTIAL_EXPIRATION": expiration.isoformat(),
        # Epoch seconds, so prompts compute time left without forking `date`.
        "ASSUME_ROLE_EXPIRES_AT": str(int(expiration.timestamp())),
        "ASSUME_ROLE_ACCESS_KEY_ID": credentials.access_key_id,
    }
    assert set(values) == set(CREDENTIALS + IDENTITY)
    return values
