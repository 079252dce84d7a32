"""botocore access: the bastion profile, STS/IAM clients and error translation.

This is the only module that imports botocore, and only the network path
imports it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import botocore.exceptions as bx
import botocore.session
from botocore.config import Config

from assume_role import endpoints, settings
from assume_role.credentials import Credentials
from assume_role.errors import (
    AssumeRoleError,
    CredentialsError,
    DeniedError,
    MfaError,
    NetworkError,
    UsageError,
)

# Variables that would make botocore pick something other than the bastion
# profile: a previous assume-role's exports, or a leftover AWS_PROFILE.
_FOREIGN_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
_THROTTLING = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
_BAD_KEYS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AuthFailure"}


class Bastion:
    """The bastion profile: its config, long-term credentials, and clients."""

    def __init__(self, profile: str, region: str | None = None):
        for name in _FOREIGN_ENVIRONMENT:
            os.environ.pop(name, None)
        self.profile = profile
        # An explicit profile makes botocore ignore credential variables too.
        self._session = botocore.session.Session(profile=profile)
        try:
            self.config = self._session.get_scoped_config()
        except bx.ProfileNotFound:
            raise CredentialsError(
                f"AWS profile {profile!r} not found; set AWS_PROFILE_ASSUME_ROLE or add it to ~/.aws/credentials"
            ) from None
        self.region = region

    def config_region(self) -> str | None:
        return self.config.get("region")

    def credentials(self) -> Credentials:
        with translated("reading credentials"):
            found = self._session.get_credentials()
            if found is None:
                raise CredentialsError(
                    f"no AWS credentials for profile {self.profile!r}: add the bastion IAM user's keys to "
                    "~/.aws/credentials (or a credential_process) or set AWS_PROFILE_ASSUME_ROLE"
                )
            frozen = found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def client(self, service: str, credentials: Credentials):
        config = Config(
            connect_timeout=settings.http_timeout(),
            read_timeout=settings.http_timeout(),
            retries={"mode": "standard", "total_max_attempts": settings.max_attempts()},
            user_agent_extra="assume-role",
        )
        with translated(f"creating the {service} client"):
            client = self._session.create_client(
                service,
                region_name=self.region or settings.DEFAULT_REGION,
                config=config,
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
                aws_session_token=credentials.session_token,
            )
        require_safe_endpoint(client.meta.endpoint_url)
        return client


def require_safe_endpoint(url: str) -> None:
    """Credentials travel only over HTTPS, or to this machine (tests, demo)."""
    if not endpoints.is_safe(url):
        raise UsageError(f"refusing to send credentials to {url}: the endpoint must use https unless it is on loopback")


@contextmanager
def translated(action: str, *, role_arn: str | None = None, with_mfa: bool = False):
    """Turn botocore failures into one-line errors that say what to do."""
    try:
        yield
    except AssumeRoleError:
        raise
    except bx.ClientError as exc:
        raise _client_error(exc, action, role_arn, with_mfa) from None
    except (bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        raise NetworkError(
            f"timed out {action} after {settings.max_attempts()} attempts ({_endpoint(exc)}); "
            "check your network or ASSUME_ROLE_HTTP_TIMEOUT"
        ) from None
    except (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.HTTPClientError) as exc:
        raise NetworkError(f"cannot reach AWS {action} ({_endpoint(exc)}); check your network or endpoint") from None
    except (bx.NoCredentialsError, bx.PartialCredentialsError):
        raise CredentialsError(
            "no usable AWS credentials for the bastion profile; check ~/.aws/credentials or AWS_PROFILE_ASSUME_ROLE"
        ) from None
    except bx.CredentialRetrievalError as exc:
        provider = getattr(exc, "kwargs", {}).get("provider", "credential provider")
        raise CredentialsError(f"the bastion profile's {provider} failed; run it by hand to see why") from None
    except bx.ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile not found: {exc.kwargs.get('profile')}") from None
    except bx.BotoCoreError as exc:
        raise AssumeRoleError(f"AWS client error while {action}: {exc}") from None


def _endpoint(exc: Exception) -> str:
    return str(getattr(exc, "kwargs", {}).get("endpoint_url", "unknown endpoint"))


def _client_error(exc: bx.ClientError, action: str, role_arn: str | None, with_mfa: bool) -> AssumeRoleError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    message = error.get("Message", "").strip()
    if code in _THROTTLING:
        return NetworkError(f"AWS throttled {action} even after retries ({code}); wait a moment and try again")
    if code in _BAD_KEYS:
        return CredentialsError(
            f"AWS rejected the bastion credentials ({code}); they are invalid or deactivated: update ~/.aws/credentials"
        )
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return CredentialsError(f"AWS says the credentials have expired ({code}) while {action}; run assume-role again")
    if code == "AccessDenied" and "session credentials" in message:
        return CredentialsError(
            "the bastion profile holds temporary credentials, but an MFA session needs an IAM user's "
            "long-term access keys: put those in the profile"
        )
    if "MultiFactorAuthentication" in message or (with_mfa and code == "AccessDenied" and "MFA" in message):
        return MfaError("AWS refused the MFA code (wrong, expired or already used); wait for the next code and try again")
    if code == "ValidationError" and "role chaining" in message:
        return DeniedError(
            "AWS refused a role session over 1 hour because it was requested with temporary credentials "
            "(role chaining); give the bastion profile long-term IAM user keys or set AWS_ROLE_SESSION_TIMEOUT=3600"
        )
    if code == "ValidationError" and "MaxSessionDuration" in message:
        return DeniedError(
            "the role's MaxSessionDuration is shorter than AWS_ROLE_SESSION_TIMEOUT; lower it or raise the role's limit"
        )
    if code == "AccessDenied" and role_arn:
        return DeniedError(
            f"AWS denied sts:AssumeRole on {role_arn}: check the role name, its trust policy "
            "(MFA and ExternalId conditions) and your IAM permissions"
        )
    detail = f": {message}" if message else ""
    return AssumeRoleError(f"AWS error while {action} ({code}){detail}")
