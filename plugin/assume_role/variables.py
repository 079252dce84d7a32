"""Names of the environment variables the tool exports into a shell.

Kept apart from the emitters so that ``clear`` and the shell plugins agree on
one list, and so that importing it costs nothing.
"""

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
