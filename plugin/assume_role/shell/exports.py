"""What a successful assume exports, as plain names and values."""

from __future__ import annotations

from datetime import timezone

from assume_role import variables
from assume_role.credentials import Credentials


def for_role(credentials: Credentials, account_alias: str, account_id: str, role: str, region: str) -> dict[str, str]:
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
    assert set(values) == set(variables.CREDENTIALS + variables.IDENTITY)
    return values
