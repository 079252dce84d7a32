"""The strict layer: a WSGI middleware in front of moto's server app.

moto answers any request whose Authorization header merely names a key, never
checks MFA codes, session lengths, role chaining, trust policies or SAML
assertions, ignores parameters an action does not define, and hands out one
fixed key pair from GetSessionToken. This middleware enforces those
documented AWS rules first and answers with AWS-shaped errors, so a client
under test meets the error paths it would meet against AWS. Everything it does
not object to is passed on to moto unchanged, apart from the substitutions
described at ``_forward``.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from . import (
    error_responses, federation, identity_center, moto_state, query_parameters, saml_assertion, signature_check, trust,
)
from .control_routes import ControlRoutes
from .error_responses import AwsError
from .sessions import MFA_SESSION, ROLE_SESSION, TemporaryCredential, utcnow
from .state import LayerState

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

GET_SESSION_TOKEN_RANGE = (900, 129600)
ASSUME_ROLE_RANGE = (900, 43200)
ROLE_CHAINING_LIMIT = 3600
SAML_ASSERTION_MAX = 100000
# Unsigned by design in AWS: the identity provider's assertion is the proof.
UNSIGNED_ACTIONS = {"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}
# MFA-session credentials may call only these STS actions.
MFA_SESSION_STS_ACTIONS = {"AssumeRole", "GetCallerIdentity"}
# IAM actions that default UserName to the calling user; moto needs it spelled out.
USER_DEFAULTING_IAM_ACTIONS = {"GetUser", "ListMFADevices", "ListAccessKeys", "ListSigningCertificates",
                               "ListSSHPublicKeys", "ListServiceSpecificCredentials"}
# IAM actions on a user's access keys: the explicit denies of the user's own
# policies (the world's "no key changes without MFA") are enforced for them.
ACCESS_KEY_ACTIONS = {"CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "ListAccessKeys"}
# AWS documents the pattern with Java's \w, which is ASCII only.
_ROLE_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)
_STS_XMLNS = error_responses.NAMESPACES["sts"]


@dataclass(frozen=True)
class Identity:
    """The authenticated caller of one request."""

    kind: str  # "user", "admin", or a temporary credential kind (MFA_SESSION, ROLE_SESSION)
    account_id: str
    arn: str
    user_name: str | None = None
    user_access_key_id: str | None = None  # the long-term key moto should see
    temporary: TemporaryCredential | None = None

    @property
    def is_temporary(self) -> bool:
        return self.temporary is not None


@dataclass
class AwsRequest:
    environ: dict
    body: bytes
    params: dict[str, str]
    service: str
    action: str | None
    json_protocol: bool
    claim: signature_check.SignedRequest | None


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        return stream.read(length)
    # A chunked body has no length; the server marks such streams as terminated.
    return stream.read() if environ.get("wsgi.input_terminated") else b""


def _replace_body(environ: dict, body: bytes) -> None:
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _parse_request(environ: dict, body: bytes) -> AwsRequest:
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("application/x-www-form-urlencoded") and body:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    target = environ.get("HTTP_X_AMZ_TARGET")
    json_protocol = bool(target) or content_type.startswith(("application/x-amz-json", "application/json"))
    action = params.get("Action") or (target.rsplit(".", 1)[-1] if target else None)
    try:
        claim = signature_check.parse(environ)
    except signature_check.MalformedSignature:
        raise AwsError(400, "IncompleteSignature", "Authorization header is not a valid AWS Signature Version 4.")
    if claim is not None:
        service = claim.service
    elif action in UNSIGNED_ACTIONS:
        service = "sts"
    else:
        service = "unknown"
    return AwsRequest(environ, body, params, service, action, json_protocol, claim)


def _int_param(params: dict[str, str], name: str, field: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise error_responses.validation_error(field, raw, "Member must be a whole number")


def _check_range(value: int, field: str, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if value < low:
        raise error_responses.validation_error(field, value, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise error_responses.validation_error(field, value, f"Member must have value less than or equal to {high}")


def _check_token_code(code: str | None) -> None:
    if code is None:
        return
    if len(code) < 6:
        raise error_responses.validation_error("tokenCode", code, "Member must have length greater than or equal to 6")
    if len(code) > 6:
        raise error_responses.validation_error("tokenCode", code, "Member must have length less than or equal to 6")
    if not code.isdigit():
        raise error_responses.validation_error("tokenCode", code, r"Member must satisfy regular expression pattern: [\d]*")


def _check_role_session_name(name: str | None) -> None:
    if name is None:
        raise error_responses.validation_error("roleSessionName", "null", "Member must not be null")
    if len(name) < 2:
        raise error_responses.validation_error("roleSessionName", name, "Member must have length greater than or equal to 2")
    if len(name) > 64:
        raise error_responses.validation_error("roleSessionName", name, "Member must have length less than or equal to 64")
    if not _ROLE_SESSION_NAME.fullmatch(name):
        raise error_responses.validation_error(
            "roleSessionName", name, r"Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )


_MAX_SESSION_TAGS = 50


def _session_tags(params: dict[str, str]) -> dict[str, str]:
    """``Tags.member.N.Key``/``.Value`` pairs of a query-protocol request."""
    tags: dict[str, str] = {}
    index = 1
    while f"Tags.member.{index}.Key" in params:
        key = params[f"Tags.member.{index}.Key"]
        value = params.get(f"Tags.member.{index}.Value", "")
        if not 1 <= len(key) <= 128:
            raise error_responses.validation_error(f"tags.{index}.member.key", key, "Member must have length between 1 and 128")
        if len(value) > 256:
            raise error_responses.validation_error(
                f"tags.{index}.member.value", value, "Member must have length less than or equal to 256"
            )
        tags[key] = value
        index += 1
    if len(tags) > _MAX_SESSION_TAGS:
        raise error_responses.validation_error("tags", len(tags), "Member must have length less than or equal to 50")
    return tags


def _check_source_identity(value: str) -> None:
    if not 2 <= len(value) <= 64 or not _ROLE_SESSION_NAME.match(value):
        raise error_responses.validation_error(
            "sourceIdentity", value, r"Member must satisfy regular expression pattern: [\w+=,.@-]*"
        )
    if value.lower().startswith("aws:"):
        raise error_responses.validation_error("sourceIdentity", value, "Member must not start with 'aws:'")


def _check_parameters(request: AwsRequest) -> None:
    """Refuse a Query request carrying a parameter its action does not define (see ``query_parameters``)."""
    if not request.action or request.json_protocol:
        return
    found = query_parameters.undefined(
        request.service, request.action, request.params.get("Version"), request.params,
        signed_in_query=bool(request.claim and request.claim.in_query),
    )
    if found and found[0]:
        raise error_responses.undefined_parameters(request.action, *found)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StrictLayer:
    """WSGI app: control API under /_strict/, strict AWS rules, then moto."""

    def __init__(self, moto_app: WsgiApp, state: LayerState) -> None:
        self.moto_app = moto_app
        self.state = state
        self.control = ControlRoutes(state)
        self.federation = federation.Federation(state.sessions, state.calls)
        self.identity_center = identity_center.Endpoints(
            state.identity_center, state.sessions, state.calls, state.faults
        )

    # -- WSGI entry point -------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_strict/"):
            return self.control(environ, start_response)
        if path == federation.PATH:
            return self.federation(environ, start_response)
        if self.identity_center.serves(environ):
            # IAM Identity Center's OIDC and portal: bearer tokens, no SigV4.
            return self.identity_center(environ, start_response)
        if path.startswith("/moto-api"):
            # moto's own dashboard and reset API stay reachable for demos.
            return self.moto_app(environ, start_response)

        self.state.calls.begin()
        try:
            return self._answer(environ, start_response)
        finally:
            self.state.calls.end()

    def _answer(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = _read_body(environ)
        _replace_body(environ, body)
        request: AwsRequest | None = None
        identity: Identity | None = None
        try:
            request = _parse_request(environ, body)
            identity = self._authenticate(request)
            # After authentication: an unknown caller hears only that. Before
            # faults: a refused request must not use up a fault set for a later call.
            _check_parameters(request)
            if identity is None or identity.kind != "admin":
                self._apply_fault(request)
            status, headers, chunks = self._dispatch(request, identity)
        except AwsError as error:
            service = request.service if request else "unknown"
            status, headers, body_bytes = error_responses.render(error, service, bool(request and request.json_protocol))
            chunks = [body_bytes]
        if request is not None and request.action and not (identity and identity.kind == "admin"):
            self.state.calls.record(request.action, status.startswith("2"))
        start_response(status, headers)
        return chunks

    # -- authentication ---------------------------------------------------

    def _authenticate(self, request: AwsRequest) -> Identity | None:
        """The caller, or None for the few actions AWS accepts unsigned."""
        claim = request.claim
        if claim is None:
            if request.action in UNSIGNED_ACTIONS:
                return None
            raise AwsError(403, "MissingAuthenticationToken", error_responses.MISSING_AUTH)
        key_id = claim.access_key_id

        if key_id == self.state.admin.access_key_id:
            self._verify_signature(request, self.state.admin.secret_access_key)
            return Identity(kind="admin", account_id=moto_state.DEFAULT_ACCOUNT_ID, arn="arn:aws:iam::admin")

        temporary = self.state.sessions.get(key_id)
        if temporary is not None:
            if claim.security_token != temporary.session_token or temporary.revoked:
                raise AwsError(403, "InvalidClientTokenId", error_responses.INVALID_TOKEN)
            if temporary.expired():
                raise AwsError(403, "ExpiredToken", error_responses.EXPIRED_TOKEN)
            self._verify_signature(request, temporary.secret_access_key)
            return Identity(
                kind=temporary.kind,
                account_id=temporary.account_id,
                arn=temporary.principal_arn,
                user_name=temporary.user_name,
                user_access_key_id=temporary.user_access_key_id,
                temporary=temporary,
            )

        user_key = moto_state.find_user_key(key_id)
        # A session token sent along with a long-term key is as invalid as an
        # unknown key; so is a new key IAM has not propagated yet.
        if user_key is None or not user_key.active or claim.security_token or self.state.propagation.refuses(key_id):
            raise AwsError(403, "InvalidClientTokenId", error_responses.INVALID_TOKEN)
        self._verify_signature(request, user_key.secret_access_key)
        return Identity(
            kind="user",
            account_id=user_key.account_id,
            arn=user_key.user_arn,
            user_name=user_key.user_name,
            user_access_key_id=user_key.access_key_id,
        )

    def _verify_signature(self, request: AwsRequest, secret: str) -> None:
        assert request.claim is not None
        if not signature_check.verify(request.environ, request.body, request.claim, secret):
            raise AwsError(403, "SignatureDoesNotMatch", error_responses.SIGNATURE_MISMATCH)

    # -- injected faults --------------------------------------------------

    def _apply_fault(self, request: AwsRequest) -> None:
        if not request.action:
            return
        fault = self.state.faults.take(request.action)
        if fault is None:
            return
        if fault.delay:
            time.sleep(fault.delay)
        if fault.code:
            raise AwsError(fault.status, fault.code, fault.message or fault.code)

    # -- per-action rules -------------------------------------------------

    def _dispatch(self, request: AwsRequest, identity: Identity | None):
        if request.action == "AssumeRoleWithSAML" and request.service == "sts":
            # Signed or not, the assertion is the only proof that counts.
            if identity is None or identity.kind != "admin":
                return self._assume_role_with_saml(request)
        if identity is None or identity.kind == "admin":
            return self._forward(request, identity)
        if request.service == "sts":
            if request.action == "GetSessionToken":
                return self._get_session_token(request, identity)
            if identity.kind == MFA_SESSION and request.action not in MFA_SESSION_STS_ACTIONS:
                raise error_responses.access_denied(f"Cannot call {request.action} with session credentials")
            if request.action == "AssumeRole":
                return self._assume_role(request, identity)
        elif request.service == "iam":
            self._check_iam_call(request, identity)
            if request.action == "CreateAccessKey":
                return self._create_access_key(request, identity)
        elif request.service == "organizations" and request.action == "ListAccounts":
            self._check_list_accounts(identity)
            paging = self.state.paging
            if paging is not None:
                return paging.answer()
        return self._forward(request, identity)

    def _check_list_accounts(self, identity: Identity) -> None:
        # moto answers any account, AWS only the management account (or a
        # delegated administrator, which this emulator does not model).
        standing = moto_state.organization_standing(identity.account_id)
        if standing is None:
            raise AwsError(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
        if standing != "management":
            raise AwsError(400, "AccessDeniedException", "You don't have permissions to access this resource.")

    def _check_iam_call(self, request: AwsRequest, identity: Identity) -> None:
        # GetSessionToken credentials reach IAM only if MFA was used to get them.
        if identity.kind == MFA_SESSION and identity.temporary and not identity.temporary.mfa:
            raise AwsError(403, "InvalidClientTokenId", error_responses.INVALID_TOKEN)
        if request.action in ACCESS_KEY_ACTIONS:
            self._check_identity_policies(request, identity)
        if request.action in USER_DEFAULTING_IAM_ACTIONS and not request.params.get("UserName"):
            if identity.user_name is None:
                raise AwsError(400, "ValidationError", "Must specify userName when calling with non-User credentials")
            if request.action != "GetUser":  # moto already defaults GetUser itself
                self._add_form_param(request, "UserName", identity.user_name)

    def _check_identity_policies(self, request: AwsRequest, identity: Identity) -> None:
        """The explicit denies of the calling user's inline policies, for the access-key actions.

        moto evaluates no IAM policy. A world may put a policy on its user that
        denies key changes without MFA, as AWS's "manage your own credentials
        with MFA" examples do; with long-term keys the MFA key is absent from
        the request context, so ``BoolIfExists ... false`` denies them.
        """
        if identity.user_name is None:
            return
        action = f"iam:{request.action}"
        context = {"aws:username": identity.user_name, "aws:PrincipalArn": identity.arn}
        temporary = identity.temporary
        if temporary is not None:
            context["aws:MultiFactorAuthPresent"] = "true" if temporary.mfa else "false"
            if temporary.mfa_authenticated_at is not None:
                context["aws:MultiFactorAuthAge"] = str(int((utcnow() - temporary.mfa_authenticated_at).total_seconds()))
        for policy in moto_state.user_inline_policies(identity.account_id, identity.user_name):
            if trust.denies(policy, action, context):
                resource = f"user {request.params.get('UserName') or identity.user_name}"
                raise error_responses.access_denied(
                    f"User: {identity.arn} is not authorized to perform: {action} on resource: {resource} "
                    "with an explicit deny in an identity-based policy"
                )

    def _create_access_key(self, request: AwsRequest, identity: Identity):
        status, headers, chunks = self._forward(request, identity)
        if status.startswith("2"):
            ns = {"iam": error_responses.NAMESPACES["iam"]}
            created = ElementTree.fromstring(b"".join(chunks)).findtext(".//iam:AccessKeyId", namespaces=ns)
            if created:
                self.state.propagation.created(created)
        return status, headers, chunks

    def _add_form_param(self, request: AwsRequest, name: str, value: str) -> None:
        request.params[name] = value
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True) + [(name, value)]
        request.body = urlencode(pairs).encode("utf-8")
        _replace_body(request.environ, request.body)

    def _check_mfa(self, identity: Identity, serial: str | None, code: str | None) -> bool:
        """Validate and spend an MFA code if the request carries one; True when it did."""
        _check_token_code(code)
        if not serial:
            return False
        device = moto_state.find_mfa_device(serial)
        owned = (
            device is not None
            and identity.user_name is not None
            and device.account_id == identity.account_id
            and moto_state.user_has_mfa_device(identity.account_id, identity.user_name, serial)
        )
        if not owned:
            raise error_responses.access_denied(error_responses.MFA_UNKNOWN_DEVICE)
        if not code or not self.state.mfa.redeem(serial, code):
            raise error_responses.access_denied(error_responses.MFA_INVALID_CODE)
        return True

    def _get_session_token(self, request: AwsRequest, identity: Identity):
        params = request.params
        duration = _int_param(params, "DurationSeconds", "durationSeconds", 43200)
        _check_range(duration, "durationSeconds", GET_SESSION_TOKEN_RANGE)
        if identity.is_temporary:
            raise error_responses.access_denied("Cannot call GetSessionToken with session credentials")
        assert identity.user_name and identity.user_access_key_id
        mfa = self._check_mfa(identity, params.get("SerialNumber"), params.get("TokenCode"))
        credential = self.state.sessions.mint_mfa_session(
            duration_seconds=duration,
            account_id=identity.account_id,
            user_arn=identity.arn,
            user_name=identity.user_name,
            user_access_key_id=identity.user_access_key_id,
            mfa=mfa,
        )
        request_id = error_responses.new_request_id()
        body = (
            f'<GetSessionTokenResponse xmlns="{_STS_XMLNS}"><GetSessionTokenResult><Credentials>'
            f"<AccessKeyId>{credential.access_key_id}</AccessKeyId>"
            f"<SecretAccessKey>{escape(credential.secret_access_key)}</SecretAccessKey>"
            f"<SessionToken>{escape(credential.session_token)}</SessionToken>"
            f"<Expiration>{_iso(credential.expiration)}</Expiration>"
            f"</Credentials></GetSessionTokenResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</GetSessionTokenResponse>"
        ).encode("utf-8")
        headers = [("Content-Type", "text/xml"), ("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id)]
        return "200 OK", headers, [body]

    def _assume_role(self, request: AwsRequest, identity: Identity):
        params = request.params
        role_arn = params.get("RoleArn", "")
        _check_role_session_name(params.get("RoleSessionName"))
        duration = _int_param(params, "DurationSeconds", "durationSeconds", 3600)
        _check_range(duration, "durationSeconds", ASSUME_ROLE_RANGE)

        used_mfa_now = self._check_mfa(identity, params.get("SerialNumber"), params.get("TokenCode"))
        temporary = identity.temporary
        if used_mfa_now:
            mfa_present, mfa_at = True, utcnow()
        elif temporary is not None:
            mfa_present, mfa_at = temporary.mfa, temporary.mfa_authenticated_at
        else:
            mfa_present, mfa_at = None, None  # long-term keys: the key is absent, not false

        context = {"aws:PrincipalAccount": identity.account_id, "aws:PrincipalArn": identity.arn}
        if mfa_present is not None:
            context["aws:MultiFactorAuthPresent"] = "true" if mfa_present else "false"
        if mfa_at is not None:
            context["aws:MultiFactorAuthAge"] = str(int((utcnow() - mfa_at).total_seconds()))
        if params.get("ExternalId") is not None:
            context["sts:ExternalId"] = params["ExternalId"]
        if identity.user_name:
            context["aws:username"] = identity.user_name

        source_identity = params.get("SourceIdentity")
        tags = _session_tags(params)
        if source_identity is not None:
            _check_source_identity(source_identity)
            context["sts:SourceIdentity"] = source_identity
        for key, value in tags.items():
            context[f"aws:RequestTag/{key}"] = value

        role = moto_state.find_role(role_arn)
        caller = trust.Caller(
            arn=identity.arn,
            account_id=identity.account_id,
            role_arn=temporary.role_arn if temporary is not None else None,
            context=context,
        )
        if role is None or not trust.allows(role.trust_policy, caller):
            raise error_responses.not_authorized(identity.arn, "sts:AssumeRole", role_arn)
        # Each extra the request carries needs its own action in the trust policy.
        if source_identity is not None and not trust.allows(role.trust_policy, caller, "sts:SetSourceIdentity"):
            raise error_responses.not_authorized(identity.arn, "sts:SetSourceIdentity", role_arn)
        if tags and not trust.allows(role.trust_policy, caller, "sts:TagSession"):
            raise error_responses.not_authorized(identity.arn, "sts:TagSession", role_arn)
        if duration > role.max_session_duration:
            raise AwsError(400, "ValidationError", error_responses.ROLE_MAX_DURATION)
        if identity.is_temporary and duration > ROLE_CHAINING_LIMIT:
            raise AwsError(400, "ValidationError", error_responses.CHAINING_LIMIT)

        status, headers, chunks = self._forward(request, identity)
        if status.startswith("2"):
            chunks, headers = self._shorten_role_session(chunks, headers)
            self._remember_role_credentials(
                b"".join(chunks), role, bool(mfa_present), mfa_at,
                chained=identity.is_temporary, duration_requested=bool(params.get("DurationSeconds")),
            )
            self.state.assumed.record(role.arn, params.get("RoleSessionName", ""), source_identity, tags)
        return status, headers, chunks

    def _assume_role_with_saml(self, request: AwsRequest):
        params = request.params
        role_arn, provider_arn = params.get("RoleArn"), params.get("PrincipalArn")
        encoded = params.get("SAMLAssertion")
        for field, value in (("roleArn", role_arn), ("principalArn", provider_arn), ("SAMLAssertion", encoded)):
            if not value:
                raise error_responses.validation_error(field, "null", "Member must not be null")
        if len(encoded) > SAML_ASSERTION_MAX:
            raise error_responses.validation_error(
                "SAMLAssertion", "...", f"Member must have length less than or equal to {SAML_ASSERTION_MAX}"
            )
        duration = _int_param(params, "DurationSeconds", "durationSeconds", 3600)
        _check_range(duration, "durationSeconds", ASSUME_ROLE_RANGE)
        metadata = moto_state.find_saml_provider(provider_arn)
        if metadata is None:
            raise AwsError(400, "InvalidIdentityToken", f"SAML provider {provider_arn} does not exist")
        try:
            assertion = saml_assertion.parse(encoded)
        except ValueError:
            raise AwsError(400, "InvalidIdentityToken", "Invalid SAML response")
        if assertion.issuer != saml_assertion.entity_id(metadata):
            raise AwsError(400, "InvalidIdentityToken", "Issuer of the SAML assertion does not match the provider")
        if assertion.expired():
            raise AwsError(400, "ExpiredTokenException", "The SAML assertion has expired")
        if (role_arn, provider_arn) not in assertion.roles:
            raise error_responses.not_authorized(provider_arn, "sts:AssumeRoleWithSAML", role_arn)
        role = moto_state.find_role(role_arn)
        caller = trust.Caller(
            arn=provider_arn,
            account_id=moto_state.account_of_arn(provider_arn) or "",
            context={"SAML:aud": assertion.recipient},
            federated=True,
        )
        if role is None or not trust.allows(role.trust_policy, caller, "sts:AssumeRoleWithSAML"):
            raise error_responses.not_authorized(provider_arn, "sts:AssumeRoleWithSAML", role_arn)
        if duration > role.max_session_duration:
            raise AwsError(400, "ValidationError", error_responses.ROLE_MAX_DURATION)
        status, headers, chunks = self._forward(request, None)
        if status.startswith("2"):
            credential = self._remember_role_credentials(b"".join(chunks), role, False, None)
            moto_state.file_saml_session_under_its_account(credential.access_key_id)
        return status, headers, chunks

    def _shorten_role_session(self, chunks: list[bytes], headers: list) -> tuple[list[bytes], list]:
        """With a role session lifetime set (control API), the answer's Expiration is that near.

        AWS never issues role sessions under 900 seconds; tests of what
        happens across an expiry set a few seconds instead of waiting for it.
        """
        seconds = self.state.role_session_seconds
        if not seconds:
            return chunks, headers
        moment = (utcnow() + timedelta(seconds=seconds)).replace(microsecond=0)
        body = re.sub(
            rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{_iso(moment)}</Expiration>".encode(), b"".join(chunks)
        )
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
        return [body], headers

    def _remember_role_credentials(
        self, xml: bytes, role: moto_state.Role, mfa: bool, mfa_at: datetime | None, *,
        chained: bool = False, duration_requested: bool = False,
    ) -> TemporaryCredential:
        ns = {"sts": _STS_XMLNS}
        root = ElementTree.fromstring(xml)
        creds = root.find(".//sts:Credentials", ns)
        arn = root.findtext(".//sts:AssumedRoleUser/sts:Arn", namespaces=ns)
        if creds is None or arn is None:
            raise AwsError(500, "InternalFailure", "moto returned no credentials for AssumeRole")
        expiration = datetime.fromisoformat(creds.findtext("sts:Expiration", namespaces=ns).replace("Z", "+00:00"))
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=timezone.utc)
        credential = TemporaryCredential(
            access_key_id=creds.findtext("sts:AccessKeyId", namespaces=ns),
            secret_access_key=creds.findtext("sts:SecretAccessKey", namespaces=ns),
            session_token=creds.findtext("sts:SessionToken", namespaces=ns),
            expiration=expiration,
            kind=ROLE_SESSION,
            account_id=role.account_id,
            principal_arn=arn,
            mfa=mfa,
            mfa_authenticated_at=mfa_at,
            role_arn=role.arn,
            chained=chained,
            duration_requested=duration_requested,
        )
        self.state.sessions.add(credential)
        return credential

    # -- passing requests on to moto --------------------------------------

    def _forward(self, request: AwsRequest, identity: Identity | None):
        """Call moto and collect its whole response.

        moto identifies the caller by the key id in the Authorization header and
        never checks the signature. MFA-session credentials are unknown to moto,
        so their requests are shown to moto under the user's long-term key id:
        moto then answers as AWS does for them (GetCallerIdentity names the user).
        Only the admin key may choose an account through x-moto-account-id.
        """
        environ = request.environ
        if identity is None or identity.kind != "admin":
            environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        if identity is not None and identity.kind == MFA_SESSION and request.claim is not None:
            assert identity.user_access_key_id
            environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace(
                f"Credential={request.claim.access_key_id}/", f"Credential={identity.user_access_key_id}/", 1
            )
            environ.pop("HTTP_X_AMZ_SECURITY_TOKEN", None)
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.moto_app(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        return captured["status"], captured["headers"], chunks

