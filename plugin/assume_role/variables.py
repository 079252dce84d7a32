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

# A served shell (``assume-role serve``) holds the credential server's endpoint
# instead of keys; ASSUME_ROLE_SERVED_URI is the endpoint assume-role exported,
# as ASSUME_ROLE_ACCESS_KEY_ID is the key.
FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
SERVED_URI = "ASSUME_ROLE_SERVED_URI"
SERVED = (FULL_URI, TOKEN, SERVED_URI)
# SDKs take these before the endpoint, so a served shell or command has them removed.
CONTAINER_OVERRIDES = ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
# Served, a file whose default profile holds keys of its own is shown to
# SDKs as /dev/null (they would take those keys before the endpoint); the
# real path is kept beside it ('' when the variable was unset), and every run
# of assume-role reads the real one (``reveal_files``).
HIDDEN_FILES = {
    "AWS_CONFIG_FILE": "ASSUME_ROLE_HIDDEN_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE": "ASSUME_ROLE_HIDDEN_CREDENTIALS_FILE",
}
# The shell plugins name their shell's process here for each run (never
# exported): a served shell's binding lives as long as that process.
SHELL_PID = "ASSUME_ROLE_SHELL_PID"
SERVE = "ASSUME_ROLE_SERVE"

EXPORTED = CREDENTIALS + IDENTITY + (MFA_SESSION,) + SERVED

# What ``reveal_files`` found hidden in this run's environment: the variable
# and its real value ('' for unset).
hidden: dict[str, str] = {}


def reveal_files(environ) -> None:
    """Give this run the files a served shell hides from SDKs."""
    for name, kept in HIDDEN_FILES.items():
        if kept in environ:
            original = hidden[name] = environ.pop(kept)
            if original:
                environ[name] = original
            else:
                environ.pop(name, None)


def restored_files() -> tuple[dict[str, str], tuple[str, ...]]:
    """The exports and unsets that give a shell its own files back."""
    exports = {name: original for name, original in hidden.items() if original}
    unsets = tuple(name for name, original in hidden.items() if not original)
    return exports, unsets + tuple(HIDDEN_FILES[name] for name in hidden)

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
