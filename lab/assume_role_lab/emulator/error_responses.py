"""AWS-shaped error responses, so botocore raises ClientError exactly as against AWS.

STS and IAM speak the query protocol: errors are an XML ``ErrorResponse`` in the
service's namespace. JSON-protocol services get the JSON shape instead; botocore
picks its parser from the service model, so the shape has to match the service.
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
}

# Wording AWS uses for the authentication failures; tests compare messages.
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
MISSING_AUTH = "Request is missing Authentication Token"
MFA_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your "
    "MFA serial number is valid and associated with this user."
)
CHAINING_LIMIT = (
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
    "by role chaining."
)
ROLE_MAX_DURATION = (
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)


class AwsError(Exception):
    """An error the strict layer answers with instead of forwarding to moto."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def validation_error(field: str, value: object, constraint: str) -> AwsError:
    """AWS's generic parameter-constraint wording, e.g. for DurationSeconds bounds."""
    return AwsError(
        400,
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}",
    )


def undefined_parameters(action: str, names: list[str], defined: list[str]) -> AwsError:
    """A parameter the action's API does not define, e.g. a misspelled name.

    AWS's common errors of the Query APIs name InvalidQueryParameter for a
    query string that "does not adhere to AWS standards"; the message names
    the culprits and what the action takes, so a misspelling is easy to spot.
    """
    plural = "s" if len(names) > 1 else ""
    takes = f"takes: {', '.join(defined)}" if defined else "takes no parameters"
    return AwsError(
        400,
        "InvalidQueryParameter",
        f"The parameter{plural} {', '.join(names)} {'are' if plural else 'is'} not defined for {action}, "
        f"which {takes}",
    )


def access_denied(message: str) -> AwsError:
    return AwsError(403, "AccessDenied", message)


def not_authorized(caller_arn: str, action: str, resource: str) -> AwsError:
    return access_denied(
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
    )


def new_request_id() -> str:
    return str(uuid.uuid4())


def render(
    error: AwsError, service: str, json_protocol: bool = False, request_id: str | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """HTTP status line, headers and body for ``error`` in the service's protocol."""
    request_id = request_id or new_request_id()
    reasons = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
               503: "Service Unavailable"}
    status = f"{error.status} {reasons.get(error.status, 'Error')}"
    if json_protocol:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        # Server-side failures are "Receiver" errors in the query protocol.
        kind = "Receiver" if error.status >= 500 else "Sender"
        namespace = NAMESPACES.get(service)
        opening = f'<ErrorResponse xmlns="{namespace}">' if namespace else "<ErrorResponse>"
        body = (
            f"{opening}<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
    ]
    if json_protocol:
        headers.append(("x-amzn-ErrorType", error.code))
    return status, headers, body
