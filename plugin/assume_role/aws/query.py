"""A small client for the AWS Query APIs on the hot path: STS and IAM.

Importing botocore and building a client costs about 150 ms, many times the
requests themselves. GetCallerIdentity, ListMFADevices, GetSessionToken and
AssumeRole (and the access-key calls of ``keys rotate``) are each one signed
form POST and one small XML answer, so for a
bastion profile of plain keys (see ``profiles``) they are sent from here with
the standard library, under the same rules as botocore's calls in ``aws``:

* the endpoint is botocore's: a configured ``endpoint_url`` (environment,
  the profile's ``services`` section, the profile) first, in botocore's order;
* credentials go only over HTTPS, or to loopback (tests, demo);
* each attempt has a total deadline and retries are decided by ``retry``:
  a request that carries a one-time MFA code, or makes a new access key, is
  sent again only if no connection was made, others after network
  failures, 5xx and throttling;
* failures are worded by ``aws_errors``; no answer body is ever shown.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from urllib.parse import urlsplit

from assume_role.aws import http, retry, sigv4
from assume_role.aws.errors import (
    CODE_MAY_BE_SPENT,
    KEY_MAY_BE_MADE,
    ClientErrorHook,
    Context,
    access_key_error,
    checked_text,
    may_retry_answer,
    web_page,
    where,
)
from assume_role.credentials import Credentials
from assume_role.aws.endpoints import require_safe_endpoint
from assume_role.errors import AssumeRoleError
from assume_role.aws.regions import partition

_VERSIONS = {"sts": "2011-06-15", "iam": "2010-05-08"}


def configured_endpoint(service: str, profile: dict[str, str], services: dict[str, str]) -> str | None:
    """The ``endpoint_url`` configured for ``service``, in botocore's order, or None.

    ``profile`` is the bastion profile's settings, ``services`` the endpoint
    of each service in the ``[services NAME]`` section it names. An
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` that is set, even empty, decides
    over the profile's ``ignore_configured_endpoint_urls``.
    """
    variable = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
    ignore = os.environ[variable] if variable in os.environ else profile.get("ignore_configured_endpoint_urls", "")
    if ignore.lower() == "true":
        return None
    found = (
        os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}"),
        os.environ.get("AWS_ENDPOINT_URL"),
        services.get(service),
        profile.get("endpoint_url"),
    )
    return next((url for url in found if url), None)


def endpoint(service: str, region: str, profile: dict[str, str] | None = None,
             services: dict[str, str] | None = None) -> tuple[str, str]:
    """The URL and signing region of ``service``, as botocore would choose them."""
    configured = configured_endpoint(service, profile or {}, services or {})
    if configured:
        return configured, region
    name = partition(region)
    if service == "iam":  # a global service: one endpoint per partition
        return {
            "aws-cn": ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"),
            "aws-us-gov": ("https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
        }.get(name, ("https://iam.amazonaws.com", "us-east-1"))
    suffix = "amazonaws.com.cn" if name == "aws-cn" else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}", region


class _ErrorAnswer(Exception):
    def __init__(self, code: str | None, message: str, status: int):
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


class QueryClient:
    """Calls of one service. ``credentials`` None: unsigned calls (AssumeRoleWithSAML)."""

    def __init__(self, service: str, region: str, credentials: Credentials | None,
                 profile: dict[str, str] | None = None, services: dict[str, str] | None = None):
        self.service = service
        self.url, self.signing_region = endpoint(service, region, profile, services)
        require_safe_endpoint(self.url)
        self.credentials = credentials
        self.ca_bundle = (profile or {}).get("ca_bundle")

    def call(self, action: str, params: dict, read, *, spent: str | None = None, role_arn: str | None = None,
             client_error: ClientErrorHook | None = None):
        """``read(<ActionResult> element)`` of the answer (the whole answer for actions that
        have no result, such as DeleteAccessKey), or a one-line AssumeRoleError.

        ``client_error(code, message)``: the caller's wording of AWS's refusals.
        """
        context = Context(f"calling {self.service}:{action}", where(self.url), spent, role_arn, client_error)
        body = sigv4.form_body({"Action": action, "Version": _VERSIONS[self.service], **_flatten(params)})

        def ask():
            return _result(action, *self._post(body))

        try:
            return retry.request(
                ask, read, carries_code=spent is not None, never_sent=_never_sent, transient=_transient
            )
        except AssumeRoleError:
            raise
        except _ErrorAnswer as exc:
            raise context.answered(exc.code, exc.message, exc.status) from None
        except (http.NoAnswer, retry.DeadlineExceeded, retry.Unreadable) as exc:
            raise context.failed(exc) from None

    def _post(self, body: bytes) -> tuple[int, str | None, bytes]:
        """The answer's status, content type and body."""
        credentials = self.credentials
        if credentials is None:
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
            return http.exchange(self.url, "POST", headers, body=body, ca_bundle=self.ca_bundle)
        headers = sigv4.sign_post(
            self.url,
            body,
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token,
            region=self.signing_region,
            service=self.service,
            now=datetime.now(timezone.utc),
        )
        return http.exchange(self.url, "POST", headers, body=body, target=urlsplit(self.url).path or "/",
                             ca_bundle=self.ca_bundle)


def _never_sent(exc: BaseException) -> bool:
    return isinstance(exc, http.NoAnswer) and not exc.sent


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, _ErrorAnswer):
        return may_retry_answer(exc.code, exc.status)
    if isinstance(exc, http.NoAnswer):
        return not exc.tls
    return isinstance(exc, (retry.DeadlineExceeded, retry.Unreadable))


def _flatten(params: dict) -> dict[str, str]:
    """Query serialisation: scalars as they are, lists of structures as ``Name.member.N.Field``."""
    flat: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, list):
            for index, item in enumerate(value, 1):
                if isinstance(item, dict):
                    for field, field_value in item.items():
                        flat[f"{name}.member.{index}.{field}"] = str(field_value)
                else:
                    flat[f"{name}.member.{index}"] = str(item)
        elif value is not None:
            flat[name] = str(value)
    return flat


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element, *path: str) -> str:
    for name in path:
        element = None if element is None else _child(element, name)
    if element is None:
        raise KeyError("/".join(path))
    return checked_text((element.text or "").strip())


def _result(action: str, status: int, content_type: str | None, answer: bytes):
    from xml.etree.ElementTree import ParseError, fromstring

    if status < 500 and web_page(content_type, answer):
        raise retry.NotAws()  # a server error stays one, retried and worded by its status
    try:
        root = fromstring(answer)
    except (ParseError, ValueError):
        if status >= 400:
            raise _ErrorAnswer(None, "", status) from None
        raise retry.Unreadable() from None
    if _local(root.tag) == "ErrorResponse" or status >= 400:
        error = _child(root, "Error")
        code = _child(error, "Code") if error is not None else None
        message = _child(error, "Message") if error is not None else None
        raise _ErrorAnswer(
            code.text.strip() if code is not None and code.text else None,
            message.text or "" if message is not None else "",
            status,
        )
    if _local(root.tag) != f"{action}Response":
        raise retry.Unreadable()
    if action in _WITHOUT_RESULT:
        return root
    result = _child(root, f"{action}Result")
    if result is None:
        raise retry.Unreadable()
    return result


# Actions whose answer is only its request id.
_WITHOUT_RESULT = {"DeleteAccessKey"}


def _read_arn(result) -> str:
    return _text(result, "Arn")


def _read_serials(result) -> list[str]:
    devices = _child(result, "MFADevices")
    if devices is None:
        raise KeyError("MFADevices")
    return [_text(member, "SerialNumber") for member in devices]


def _read_access_keys(result) -> list[tuple[str, str]]:
    keys = _child(result, "AccessKeyMetadata")
    if keys is None:
        raise KeyError("AccessKeyMetadata")
    return [(_text(member, "AccessKeyId"), _text(member, "Status")) for member in keys]


def _read_new_key(result) -> Credentials:
    return Credentials(_text(result, "AccessKey", "AccessKeyId"), _text(result, "AccessKey", "SecretAccessKey"))


def _read_nothing(result) -> None:
    return None


def read_credentials(result) -> Credentials:
    expiration = datetime.fromisoformat(_text(result, "Credentials", "Expiration").replace("Z", "+00:00"))
    if expiration.tzinfo is None:
        raise ValueError("no time zone")
    return Credentials(
        _text(result, "Credentials", "AccessKeyId"),
        _text(result, "Credentials", "SecretAccessKey"),
        _text(result, "Credentials", "SessionToken"),
        expiration.astimezone(timezone.utc),
    )


class Client:
    """The calls the flow makes, each answer checked before use (as ``aws.sdk.SdkBastion``'s are).

    ``profile``: the bastion profile's settings (``ca_bundle``, ``endpoint_url``
    and the like); ``services``: the endpoints of its ``services`` section.
    """

    def __init__(self, region: str, profile: dict[str, str] | None = None, services: dict[str, str] | None = None):
        self.region, self.profile, self.services = region, profile or {}, services or {}

    def _query(self, service: str, credentials: Credentials) -> QueryClient:
        return QueryClient(service, self.region, credentials, self.profile, self.services)

    def caller_arn(self, credentials: Credentials) -> str:
        return self._query("sts", credentials).call("GetCallerIdentity", {}, _read_arn)

    def mfa_serials(self, keys: Credentials, user_name: str) -> list[str]:
        return self._query("iam", keys).call("ListMFADevices", {"UserName": user_name}, _read_serials)

    def session_token(self, keys: Credentials, serial: str, code: str, duration: int) -> Credentials:
        params = {"DurationSeconds": duration, "SerialNumber": serial, "TokenCode": code}
        return self._query("sts", keys).call("GetSessionToken", params, read_credentials, spent=CODE_MAY_BE_SPENT)

    def assume_role(self, credentials: Credentials, **params) -> Credentials:
        spent = CODE_MAY_BE_SPENT if "TokenCode" in params else None
        return self._query("sts", credentials).call(
            "AssumeRole", params, read_credentials, spent=spent, role_arn=params["RoleArn"]
        )

    def access_keys(self, credentials: Credentials, user_name: str) -> list[tuple[str, str]]:
        return self._query("iam", credentials).call(
            "ListAccessKeys", {"UserName": user_name}, _read_access_keys, client_error=access_key_error("ListAccessKeys")
        )

    def create_access_key(self, credentials: Credentials, user_name: str) -> Credentials:
        # Sent again only if it cannot have arrived: a second one would make a second key.
        return self._query("iam", credentials).call(
            "CreateAccessKey", {"UserName": user_name}, _read_new_key, spent=KEY_MAY_BE_MADE,
            client_error=access_key_error("CreateAccessKey"),
        )

    def delete_access_key(self, credentials: Credentials, user_name: str, access_key_id: str) -> None:
        self._query("iam", credentials).call(
            "DeleteAccessKey", {"UserName": user_name, "AccessKeyId": access_key_id}, _read_nothing,
            client_error=access_key_error("DeleteAccessKey"),
        )
