"""botocore access: bastion profiles the hot path leaves to botocore, and their calls.

A bastion profile of plain keys is served by the standard-library client
(``query_api``, chosen in ``bastion.open_bastion``); SSO,
``credential_process``, role profiles, FIPS or dual-stack endpoints and
proxies come here, as do SAML and ``status --check``. Only these paths import
botocore.

No text from botocore or from an answer reaches the user: botocore's messages
can quote a raw answer, and a raw STS answer holds credentials. Each failure
is classified here and worded by ``aws_errors``, as the other client's are.
"""

from __future__ import annotations

import logging
import os
import shlex
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TypeVar

import botocore.exceptions as bx
import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.parsers import ResponseParserError

from assume_role.aws.bastion import Bastion
from assume_role import settings
from assume_role.aws import retry
from assume_role.aws.errors import (
    CODE_MAY_BE_SPENT,
    KEY_MAY_BE_MADE,
    ClientErrorHook,
    access_key_error,
    Context,
    CredentialsRejected,  # noqa: F401 (status --check catches it as aws.CredentialsRejected)
    checked_text,
    library_error,
    may_retry_answer,
    organizations_error,
    printable,
    profile_role_error,
    web_page,
    where,
)
from assume_role.aws.profiles import scrub_environment
from assume_role.credentials import Credentials
from assume_role.aws.endpoints import require_safe_endpoint
from assume_role.errors import AssumeRoleError, CredentialsError, DeniedError, UsageError

T = TypeVar("T")

# Library log records and warnings can quote requests and answers; Python
# would print them on stderr for want of a handler.
for _name in ("botocore", "urllib3"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
warnings.filterwarnings("ignore", module=r"(botocore|urllib3|boto3)(\.|$)")

def _config() -> Config:
    timeout = settings.http_timeout()
    # One attempt per call: retry.send decides about more (see its docstring).
    return Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
        user_agent_extra="assume-role",
    )


def _require_plain_files() -> None:
    """botocore would block on a FIFO config file, or read a device forever."""
    from assume_role.aws.profiles import FILES
    from assume_role.state.files import UnsafeFile, check_foreign

    for variable, default in FILES:
        path = os.path.expanduser(os.environ.get(variable) or default)
        try:
            check_foreign(path)
        except UnsafeFile as exc:
            raise UsageError(f"cannot use {path} ({variable}): {exc}") from None


class SdkBastion(Bastion):
    """The bastion profile through botocore's session: its config, credentials, and the calls made with it."""

    def __init__(self, profile: str, region: str | None = None, source=None):
        scrub_environment()
        self.profile = profile
        self.source = source  # long-term keys from elsewhere (see aws.bastion), the profile giving its settings
        _require_plain_files()
        # A profile passed to the Session, unlike one named by AWS_PROFILE,
        # makes botocore skip the credential variables.
        self._session = botocore.session.Session(profile=profile)
        try:
            with translated("reading the AWS config", profile):
                self.config = self._session.get_scoped_config()
        except CredentialsError:
            raise CredentialsError(
                f"AWS profile {profile!r} not found; set AWS_PROFILE_ASSUME_ROLE or add it to ~/.aws/credentials"
            ) from None
        self.region = region

    def profile_credentials(self) -> Credentials:
        # A role, SSO or login profile makes its AWS calls here, inside botocore.
        with translated("reading credentials", self.profile, self.config.get("role_arn")):
            found = self._session.get_credentials()
            if found is None:
                raise CredentialsError(
                    f"no AWS credentials for profile {self.profile!r}: add the bastion IAM user's keys to "
                    "~/.aws/credentials (or a credential_process) or set AWS_PROFILE_ASSUME_ROLE"
                )
            frozen = found.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token, _expiry(found) if frozen.token else None)

    def client(self, service: str, credentials: Credentials):
        with translated(f"creating the {service} client", self.profile):
            client = self._session.create_client(
                service,
                region_name=self.region or settings.DEFAULT_REGION,
                config=_config(),
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
                aws_session_token=credentials.session_token,
            )
        return _guarded(client)

    # -- the calls the flow makes; each answer is checked before use ---------

    def caller_arn(self, credentials: Credentials) -> str:
        return self.checked(credentials, lambda: call(self.client("sts", credentials), "GetCallerIdentity", _read_arn))

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self.checked(
            keys, lambda: call(self.client("iam", keys), "ListMFADevices", _read_serials, UserName=user_name)
        )

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        return self.checked(keys, lambda: call(
            self.client("sts", keys), "GetSessionToken", read_credentials, spent=CODE_MAY_BE_SPENT,
            DurationSeconds=duration, SerialNumber=serial, TokenCode=code,
        ))

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        return self.checked(credentials, lambda: call(
            self.client("sts", credentials), "AssumeRole", read_credentials,
            spent=CODE_MAY_BE_SPENT if "TokenCode" in params else None, role_arn=params["RoleArn"], **params,
        ))

    def access_keys(self, credentials: Credentials, user_name: str) -> list[tuple[str, str]]:
        return self.checked(credentials, lambda: call(
            self.client("iam", credentials), "ListAccessKeys", _read_access_keys,
            client_error=access_key_error("ListAccessKeys"), UserName=user_name,
        ))

    def create_access_key(self, credentials: Credentials, user_name: str) -> Credentials:
        return self.checked(credentials, lambda: call(
            self.client("iam", credentials), "CreateAccessKey", _read_new_key, spent=KEY_MAY_BE_MADE,
            client_error=access_key_error("CreateAccessKey"), UserName=user_name,
        ))

    def delete_access_key(self, credentials: Credentials, user_name: str, access_key_id: str) -> None:
        self.checked(credentials, lambda: call(
            self.client("iam", credentials), "DeleteAccessKey", lambda answer: None,
            client_error=access_key_error("DeleteAccessKey"), UserName=user_name, AccessKeyId=access_key_id,
        ))

    def organization_accounts(self, credentials: Credentials) -> list[tuple[str, str, str]]:
        """(id, name, status) of every account of the organisation, every page of ListAccounts."""
        from assume_role.aws.paging import every_page

        client = self.client("organizations", credentials)
        return every_page(lambda token: call(
            client, "ListAccounts", _read_accounts_page, client_error=organizations_error,
            MaxResults=20, **({"NextToken": token} if token else {}),
        ), "organizations:ListAccounts")


def _expiry(found) -> datetime | None:
    """When temporary credentials from botocore's chain end, if it knows.

    Refreshable credentials (a role, SSO, login, a credential_process that
    names an Expiration) keep it in an attribute botocore has no public name for.
    """
    expiry = getattr(found, "_expiry_time", None)
    if not isinstance(expiry, datetime) or expiry.tzinfo is None:
        return None
    return expiry.astimezone(timezone.utc)


def exported_caller_arn() -> str:
    """Who the credentials exported in this environment belong to, says AWS."""
    with translated("creating the sts client"):
        client = botocore.session.Session().create_client("sts", config=_config())
    # The exported role credentials get the same protection as the bastion's.
    return call(_guarded(client), "GetCallerIdentity", _read_arn)


def _guarded(client):
    """A client that sends credentials only where they may go, and reads only AWS's answers."""
    require_safe_endpoint(client.meta.endpoint_url)
    client.meta.events.register("before-parse", _refuse_foreign_answers)
    return client


def _refuse_foreign_answers(response_dict, operation_model, **_) -> None:
    """Before botocore parses an answer: a web page is not AWS's, nor is a Query answer to something else.

    botocore's parser fails on those with a KeyError (say, a portal page
    that is well-formed XHTML), which says nothing of what happened.
    """
    status, body = response_dict.get("status_code"), response_dict.get("body")
    if not isinstance(status, int) or status >= 500:
        return  # a server error: retried, and worded by its status
    if web_page((response_dict.get("headers") or {}).get("content-type"), body):
        raise retry.NotAws()
    if status < 300 and operation_model.metadata.get("protocol") == "query":
        if _answers_something_else(body, operation_model.name):
            raise retry.Unreadable()


def _answers_something_else(body: object, operation: str) -> bool:
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        root = fromstring(body)
    except (ParseError, ValueError, TypeError):
        return False  # not XML at all: botocore's parser says so in its own way
    return root.tag.rsplit("}", 1)[-1] != f"{operation}Response"


# -- one request -------------------------------------------------------------


def call(client, operation: str, read: Callable[[dict], T], *, spent: str | None = None,
         role_arn: str | None = None, client_error: ClientErrorHook | None = None,
         **params) -> T:
    """Send one AWS request and read its answer with ``read``.

    A request that carries something single-use (an MFA code, which AWS
    spends on arrival) is sent again only if it cannot have reached AWS (no
    connection was made): a second try would be refused and would hide the
    first one's session. ``spent`` says what to do when it may have reached
    AWS without an answer. ``client_error`` maps AWS errors for calls whose
    errors mean something else than the bastion's.
    """
    action = f"calling {client.meta.service_model.endpoint_prefix}:{operation}"
    method = getattr(client, xform_name(operation))
    context = Context(action, where(client.meta.endpoint_url), spent, role_arn, client_error)

    def ask():
        try:
            return method(**params)
        except bx.ReadTimeoutError:
            # The socket waited as long as an attempt may: a timeout, whichever
            # thread noticed first (see retry.within).
            raise retry.DeadlineExceeded() from None

    try:
        return retry.request(
            ask, read, carries_code=spent is not None, never_sent=_never_sent, transient=_transient,
        )
    except AssumeRoleError:
        raise
    except Exception as exc:
        raise _translate(exc, context) from None


def _never_sent(exc: BaseException) -> bool:
    # No connection was made, so the request cannot have reached AWS.
    return isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError))


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, bx.ClientError):
        return may_retry_answer(exc.response.get("Error", {}).get("Code"), _status(exc))
    # An answer that cannot be read may be a proxy's passing hiccup; one that
    # carries no code can be asked for again.
    transient = (retry.DeadlineExceeded, bx.ConnectionError, bx.HTTPClientError, ResponseParserError, retry.Unreadable)
    return isinstance(exc, transient) and not isinstance(exc, bx.SSLError)


def _status(exc: bx.ClientError) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None


def _translate(exc: BaseException, context: Context) -> AssumeRoleError:
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        return context.answered(error.get("Code"), error.get("Message"), _status(exc))
    if _never_sent(exc):
        return context.unreachable()
    if isinstance(exc, retry.DeadlineExceeded):
        return context.timed_out(exc.attempts, exc.seconds)
    if isinstance(exc, bx.ReadTimeoutError):
        return context.timed_out()
    if isinstance(exc, bx.SSLError):
        return context.tls_failed()
    if isinstance(exc, bx.HTTPClientError):
        return context.broken()
    if isinstance(exc, retry.NotAws):
        return context.not_aws()
    if isinstance(exc, (ResponseParserError, retry.Unreadable)):
        return context.unreadable()
    return library_error(exc, context.action)


def _present(*names: str) -> tuple[type[BaseException], ...]:
    return tuple(getattr(bx, name) for name in names if hasattr(bx, name))


# Errors of SSO and login_session profiles; the newer ones are missing from
# older botocore (an empty tuple catches nothing).
_SSO_ERRORS = _present("SSOError", "TokenRetrievalError")
_LOGIN_REFUSED = _present("LoginInsufficientPermissions")
_LOGIN_ERRORS = _present("LoginError")


@contextmanager
def translated(action: str, profile: str | None = None, role_arn: str | None = None):
    """Turn botocore failures outside ``call`` (profile, credentials, clients) into one-line errors.

    ``profile`` is the bastion profile being read, named in the fix; a
    ``role_arn`` is the role botocore assumes to get its credentials.
    """
    name = printable(profile or "default")
    login = f"--profile {shlex.quote(name)}"
    name = repr(name)
    try:
        yield
    except AssumeRoleError:
        raise
    except (bx.NoCredentialsError, bx.PartialCredentialsError):
        raise CredentialsError(
            "no usable AWS credentials for the bastion profile; check ~/.aws/credentials or AWS_PROFILE_ASSUME_ROLE"
        ) from None
    except bx.CredentialRetrievalError as exc:
        provider = printable(str(getattr(exc, "kwargs", {}).get("provider", "credential provider")))
        raise CredentialsError(f"the bastion profile's {provider} failed; run it by hand to see why") from None
    except bx.ProfileNotFound as exc:
        raise CredentialsError(f"AWS profile not found: {printable(str(exc.kwargs.get('profile')))}") from None
    except bx.ConfigParseError as exc:
        path = printable(str(exc.kwargs.get("path", "the AWS config file")))
        raise UsageError(f"cannot read {path}: it is not a valid INI file") from None
    except _SSO_ERRORS:
        raise CredentialsError(
            f"the SSO session of AWS profile {name} has expired or was never started; run: aws sso login {login}"
        ) from None
    except _LOGIN_REFUSED:
        raise DeniedError(
            f"AWS refused to renew the aws login session of profile {name}: "
            "its identity needs the signin:CreateOAuth2Token permission"
        ) from None
    except _LOGIN_ERRORS:
        raise CredentialsError(
            f"the aws login session of AWS profile {name} has expired or was never started; run: aws login {login}"
        ) from None
    except bx.MissingDependencyException:
        raise UsageError(
            f"AWS profile {name} needs botocore's crt extra (a login_session profile does): install it next to "
            "assume-role, e.g. pipx inject assume-role 'botocore[crt]'"
        ) from None
    except bx.NoRegionError:
        raise UsageError(
            f"AWS profile {name} has no region, which botocore needs to get its credentials from AWS: "
            f"set region in the profile (aws configure set region REGION {login})"
        ) from None
    except bx.InfiniteLoopConfigError:
        raise UsageError(f"the source_profile settings of AWS profile {name} go round in a loop") from None
    except bx.InvalidConfigError:
        raise UsageError(
            f"botocore cannot use AWS profile {name}: a section it names (services, sso-session) is missing "
            "or one of its settings is invalid; check ~/.aws/config (AWS_CONFIG_FILE)"
        ) from None
    except Exception as exc:
        hook = profile_role_error(name, printable(role_arn)) if role_arn else None
        raise _translate(exc, Context(action, "AWS", role_arn=role_arn, client_error=hook)) from None


# -- reading answers -------------------------------------------------------------


def _read_arn(answer: dict) -> str:
    return checked_text(answer["Arn"])


def _read_accounts_page(answer: dict) -> tuple[list[tuple[str, str, str]], str | None]:
    accounts = [
        (checked_text(a["Id"]), checked_text(a["Name"]), checked_text(a.get("Status") or "UNKNOWN"))
        for a in answer["Accounts"]
    ]
    token = answer.get("NextToken")
    return accounts, checked_text(token) if token is not None else None


def _read_access_keys(answer: dict) -> list[tuple[str, str]]:
    return [(checked_text(key["AccessKeyId"]), checked_text(key["Status"])) for key in answer["AccessKeyMetadata"]]


def _read_new_key(answer: dict) -> Credentials:
    key = answer["AccessKey"]
    return Credentials(checked_text(key["AccessKeyId"]), checked_text(key["SecretAccessKey"]))


def _read_serials(answer: dict) -> list[str]:
    return [checked_text(device["SerialNumber"]) for device in answer["MFADevices"]]


def read_credentials(answer: dict) -> Credentials:
    """Credentials from an STS answer, each field checked (a damaged answer raises)."""
    found = answer["Credentials"]
    expiration = found["Expiration"]
    if not isinstance(expiration, datetime) or expiration.tzinfo is None:
        raise ValueError("no expiration")
    return Credentials(
        checked_text(found["AccessKeyId"]),
        checked_text(found["SecretAccessKey"]),
        checked_text(found["SessionToken"]),
        expiration.astimezone(timezone.utc),
    )
