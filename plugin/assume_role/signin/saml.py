"""The SAML way in (``AWS_ASSUME_ROLE_AUTH_SCHEME=saml``), as the original tool offered it.

Instead of a bastion IAM user with MFA, a username and password are posted to
an identity provider (IdP) that answers with a SAML assertion, and the role is
assumed with ``sts:AssumeRoleWithSAML``, which needs no AWS credentials:

* arguments are ``ACCOUNT ROLE [REGION]``: there is no MFA code;
* the username and password come from ``$SAML_FILE`` (default
  ``~/.saml/credentials``, lines ``username = ...`` and ``password = ...``),
  whatever it lacks is asked on the terminal (the password hidden);
* ``$SAML_IDP_REQUEST_BODY_TEMPLATE`` with ``$saml_user`` and
  ``$saml_password`` replaced (JSON-escaped) is POSTed to
  ``$SAML_IDP_ASSERTION_URL``, which answers a JSON object whose
  ``saml_response`` is the base64 assertion;
* the role ``arn:aws:iam::ACCOUNT:role/ROLE`` is assumed with the principal
  ``arn:aws:iam::ACCOUNT:saml-provider/$SAML_IDP_NAME``.

The password travels only over HTTPS or to loopback, and the POST that carries
it is sent once: no retry, no redirect followed. Neither the IdP's nor AWS's
text is ever shown; every failure is one line of ours.

Both requests go through ``aws.http``, the transport of every request made
without botocore: the password and the assertion are never proxied,
redirected or sent twice.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from assume_role import settings, validate
from assume_role.aws import endpoints
from assume_role.errors import CredentialsError, DeniedError, NetworkError, UsageError
from assume_role.signin.source import Asking, SignIn, Standing

SCHEME = settings.AUTH_SCHEME
FILE = "SAML_FILE"
URL = "SAML_IDP_ASSERTION_URL"
TEMPLATE = "SAML_IDP_REQUEST_BODY_TEMPLATE"
IDP_NAME = "SAML_IDP_NAME"

DEFAULT_FILE = "~/.saml/credentials"
# A credentials file is two short lines; anything much larger is not one.
MAX_FILE_BYTES = 64 * 1024
# AWS accepts assertions of up to 100,000 characters; the answer around it is small.
MAX_ASSERTION_CHARS = 100_000

# Patterns, compiled (and cached by re) on first use: a run that is not
# SAML, or a cache hit, never pays for them.
_PLACEHOLDER = r"\$(?:\{(saml_user|saml_password)\}|(saml_user|saml_password)(?!\w))"
# IAM's pattern for a SAML provider name.
_IDP_NAME = r"(?a)[\w._-]{1,128}"


class Provider:
    """The checked SAML settings: where to sign in and which AWS provider it is."""

    def __init__(self, url: str, template: str, name: str):
        self.url = url
        self.template = template
        self.name = name

    @property
    def host(self) -> str:
        # Messages name the host only: the URL's user info, path or query may hold a token.
        from urllib.parse import urlsplit

        return urlsplit(self.url).netloc.rpartition("@")[2]

    @property
    def cache_profile(self) -> str:
        """Stands for the bastion profile in cache keys: SAML sessions are kept apart."""
        return cache_profile_for(self.name)



class SamlSignIn(SignIn):
    """A username and password posted to the identity provider, then sts:AssumeRoleWithSAML."""

    name = "SAML"

    def __init__(self, provider: Provider, asking: Asking | None = None):
        super().__init__(asking or Asking())
        self.provider = provider

    @property
    def cache_profile(self) -> str:
        return cache_profile_for(self.provider.name)

    def shape(self, request):
        # AssumeRoleWithSAML sends no ExternalId, and the assertion names the
        # session; SourceIdentity and session tags go with the bastion's AssumeRole only.
        return request._replace(external_id=None, session_name=None, source_identity=False, tags=())

    def standing(self, store) -> Standing:
        provider = self.provider
        return Standing("saml", f"SAML at identity provider {provider.name} ({provider.host})", idp=provider.name)

    def role_credentials(self, request, store, log, *, console: bool = False):
        provider = self.provider
        user, password = sign_in_details(log, self.asking)
        log(f"posting the sign-in of {user!r} to the identity provider at {provider.host}")
        assertion = post_sign_in(provider.url, fill(provider.template, user, password), provider.host)
        return assume_role_with_saml(request, principal_arn(request, provider.name), assertion, log)


def chosen() -> bool:
    """Whether the SAML scheme is asked for; never fails (completion uses it)."""
    return os.environ.get(SCHEME, "").strip().lower() == "saml"


def enabled() -> bool:
    return settings.auth_scheme() == "saml"


def configured(args=None) -> Provider | None:
    """The SAML provider when the scheme is saml, else None; ``args``, the
    main command's, are adjusted to ACCOUNT ROLE [REGION].

    Checked before anything is asked or sent, so a misconfiguration costs no
    password typed in vain.
    """
    if not enabled():
        return None
    if args is not None:
        _take_region_argument(args)
    missing = [name for name in (URL, TEMPLATE, IDP_NAME) if not os.environ.get(name)]
    if missing:
        raise UsageError(f"{SCHEME}=saml needs {', '.join(missing)} (see assume-role --help)")
    url = os.environ[URL].strip()
    if not _well_formed(url):
        raise UsageError(f"{URL} is not a URL: expected https://host[:port]/path")
    if not endpoints.is_safe(url):
        raise UsageError(
            f"refusing to send your password to {URL}: it must be an https:// URL (or http:// on loopback)"
        )
    name = os.environ[IDP_NAME].strip()
    if not re.fullmatch(_IDP_NAME, name):
        raise UsageError(f"{IDP_NAME} must be the name of the SAML provider in IAM (letters, digits and ._-)")
    template = os.environ[TEMPLATE]
    check_template(template)
    return Provider(url, template, name)


def _well_formed(url: str) -> bool:
    from urllib.parse import urlsplit

    if validate.has_control(url) or " " in url:
        return False
    try:
        urlsplit(url).port  # raises on a port that is not a number
    except ValueError:
        return False
    return True


def cache_profile_for(name: str) -> str:
    return f"saml:{name}"


def cache_profile() -> str | None:
    """The cache key profile of the SAML scheme when it is on (for logout)."""
    name = os.environ.get(IDP_NAME, "").strip()
    return cache_profile_for(name) if enabled() and name else None


def _take_region_argument(args) -> None:
    # The parser knows the bastion's ACCOUNT ROLE MFA_TOKEN REGION; here the
    # third word is the region, as in the original tool.
    if args.region:
        raise UsageError("with AWS_ASSUME_ROLE_AUTH_SCHEME=saml the arguments are ACCOUNT ROLE [REGION]")
    if args.mfa_token and args.mfa_token.isdigit():
        raise UsageError("with AWS_ASSUME_ROLE_AUTH_SCHEME=saml no MFA code is used: the arguments are ACCOUNT ROLE [REGION]")
    args.region, args.mfa_token = args.mfa_token, None


# -- the request body ---------------------------------------------------------


def fill(template: str, user: str, password: str) -> bytes:
    """The template with the placeholders replaced by JSON-escaped values, in one pass.

    One pass, so a username that contains "$saml_password" stays a username.
    """
    import json

    values = {"saml_user": user, "saml_password": password}
    body = re.sub(_PLACEHOLDER, lambda m: json.dumps(values[m.group(1) or m.group(2)])[1:-1], template)
    return body.encode("utf-8")


def check_template(template: str) -> None:
    import json

    found = {m.group(1) or m.group(2) for m in re.finditer(_PLACEHOLDER, template)}
    if found != {"saml_user", "saml_password"}:
        raise UsageError(
            f"{TEMPLATE} must contain $saml_user and $saml_password (it is not run by a shell)"
        )
    try:
        json.loads(fill(template, "user", 'pass"word\\'))
    except ValueError:
        raise UsageError(
            f'{TEMPLATE} is not JSON once filled in: put the placeholders inside strings, like "$saml_user"'
        ) from None


# -- username and password ----------------------------------------------------


def sign_in_details(log, asking: Asking) -> tuple[str, str]:
    """Username and password: from the SAML file, the rest asked on the terminal."""
    from assume_role import interactive

    explicit = os.environ.get(FILE)
    path = Path(explicit or DEFAULT_FILE).expanduser()
    found = read_credentials_file(path)
    if found is not None:
        log(f"read {' and '.join(sorted(found)) or 'nothing'} from {path}")
        if "username" in found and "password" in found:
            return found["username"], found["password"]
    if not asking.person_present():
        raise UsageError(_nobody_to_ask(asking, found, path, explicit))
    if found is None and explicit:
        from assume_role.state.store import warn

        warn(f"{FILE} {path} does not exist; asking for the username and password")
    found = found or {}
    user = found.get("username") or interactive.ask_saml_username()
    password = found.get("password") or interactive.ask_saml_password(user)
    return user, password


def _nobody_to_ask(asking: Asking, found: dict[str, str] | None, path: Path, explicit: str | None) -> str:
    """The one line when the file lacks something and no question may be asked."""
    lacking = [key for key in ("username", "password") if not (found or {}).get(key)]
    missing, one = " and ".join(lacking), len(lacking) == 1
    if found is None and explicit:
        where = f"{FILE} {path} does not exist"
    else:
        where = f"put {'it' if one else 'them'} in {path}"
    renewal = asking.renewal(f"the SAML sign-in needs your {missing}")
    if renewal:
        return f"{renewal}, or {where}" if found is not None or not explicit else f"{renewal} ({where})"
    if asking.rerun:
        where += f", or run `{asking.rerun}` in a terminal first"
    return f"a SAML {missing} {'is' if one else 'are'} needed and there is no terminal to ask on: {where}"


def read_credentials_file(path: Path) -> dict[str, str] | None:
    """``username`` and ``password`` from the file; None when it does not exist.

    The file holds a password, so it is trusted only if it is a regular file
    of this user that nobody else can read or change.
    """
    from assume_role.state.files import UnsafeFile, read_text

    try:
        # Symbolic links are followed (dotfiles); what they name is checked.
        text = read_text(path, owned=True, secret=True, limit=MAX_FILE_BYTES)
    except UnsafeFile as exc:
        fix = f"; run: chmod 600 {path}" if exc.mode else ""
        raise UsageError(f"refusing {FILE} {path}: {exc}{fix}") from None
    if text is None:
        return None
    return parse_credentials(text, path)


def parse_credentials(text: str, path: Path) -> dict[str, str]:
    """``key = value`` lines; only username and password count, the last one wins."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("username", "password"):
            continue
        value = value.strip()
        if validate.has_control(value):
            # Never the value itself: it may be the password.
            raise UsageError(f"refusing {FILE} {path}: the {key} on line {number} holds a control character")
        if value:
            found[key] = value
    return found


# -- the identity provider ----------------------------------------------------


def post_sign_in(url: str, body: bytes, host: str) -> str:
    """POST the sign-in once (no retry, no redirect, no proxy: see ``aws.http``) and return the assertion."""
    from assume_role.aws import http, retry

    timeout = settings.http_timeout()
    where = f"the identity provider at {host}"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        status, _, answer = retry.within(timeout, lambda: http.exchange(url, "POST", headers, body=body))
    except http.NoAnswer as exc:
        if exc.tls:
            raise NetworkError(f"cannot verify the TLS certificate of {where}; nothing was sent") from None
        if not exc.sent:
            raise NetworkError(f"cannot reach {where}; check your network and {URL}") from None
        raise NetworkError(f"the connection to {where} broke before a complete answer") from None
    except retry.DeadlineExceeded:
        raise NetworkError(f"{where} did not answer within {timeout:g} seconds (ASSUME_ROLE_HTTP_TIMEOUT)") from None
    except retry.Unreadable:
        raise NetworkError(f"{where} answered more than {http.MAX_ANSWER_BYTES // 1024} KiB: not a sign-in answer") from None
    if not 200 <= status < 300:
        raise _http_error(status, where)
    return saml_response(answer, where)


def _http_error(status: int, where: str):
    if 300 <= status < 400:
        return NetworkError(f"{where} answered with a redirect (HTTP {status}); set {URL} to the final address")
    if status in (404, 405):
        return UsageError(f"{where} has no sign-in API at {URL} (HTTP {status})")
    if status in (408, 429) or status >= 500:
        return NetworkError(f"{where} failed (HTTP {status}); try again later")
    return CredentialsError(
        f"{where} refused the sign-in (HTTP {status}): check the username and password "
        f"(from {FILE} or typed) and {TEMPLATE}"
    )


def saml_response(answer: bytes, where: str) -> str:
    """The checked base64 assertion in the answer's ``saml_response``."""
    import base64
    import binascii
    import json

    garbled = f"{where} answered something other than a JSON object with a saml_response"
    try:
        data = json.loads(answer)
    except (ValueError, UnicodeDecodeError):
        raise NetworkError(garbled) from None
    value = data.get("saml_response") if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise NetworkError(garbled)
    # Some IdPs wrap base64 in lines; AWS wants it in one piece.
    value = "".join(value.split())
    if not 4 <= len(value) <= MAX_ASSERTION_CHARS:
        raise NetworkError(f"{where} answered a saml_response of an impossible size")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise NetworkError(f"{where} answered a saml_response that is not base64") from None
    if not decoded.lstrip().startswith(b"<"):
        raise NetworkError(f"{where} answered a saml_response that is not a SAML document")
    return value


# -- AWS ----------------------------------------------------------------------


def principal_arn(request, name: str) -> str:
    from assume_role.aws.regions import partition

    return f"arn:{partition(request.region)}:iam::{request.account.id}:saml-provider/{name}"


def assume_role_with_saml(request, principal: str, assertion: str, log):
    """sts:AssumeRoleWithSAML: an unsigned form POST, sent once (the assertion may be single-use)."""
    from assume_role.aws import profiles, query

    settings_, services = profiles.endpoint_settings(request.profile)
    client = query.QueryClient("sts", request.region, None, settings_, services)
    log(f"calling sts:AssumeRoleWithSAML on {request.role_arn} with {principal}")
    params = {"RoleArn": request.role_arn, "PrincipalArn": principal, "SAMLAssertion": assertion,
              "DurationSeconds": request.duration}
    return client.call(
        "AssumeRoleWithSAML", params, query.read_credentials,
        spent="the SAML assertion may have been used: run assume-role again to sign in afresh",
        role_arn=request.role_arn,
        client_error=lambda code, message: _aws_error(code, message, request.role_arn, principal),
    )


def _aws_error(code: str, message: str, role_arn: str, principal: str):
    from assume_role.aws.errors import THROTTLING

    if code in THROTTLING:
        return NetworkError(f"AWS throttled sts:AssumeRoleWithSAML ({code}); wait a moment and try again")
    if code == "ValidationError" and ("MaxSessionDuration" in message or "DurationSeconds" in message):
        return DeniedError(
            "the role's MaxSessionDuration is shorter than AWS_ROLE_SESSION_TIMEOUT; lower it or raise the role's limit"
        )
    if code == "AccessDenied":
        return DeniedError(
            f"AWS denied sts:AssumeRoleWithSAML on {role_arn}: check that the identity provider offers this "
            f"role and that the role's trust policy names {principal}"
        )
    # InvalidIdentityToken, IDPRejectedClaim, ExpiredTokenException, ...:
    # AWS's text may quote the assertion, so only its code is shown.
    return DeniedError(
        f"AWS refused the identity provider's SAML assertion for {role_arn} ({code}): check {IDP_NAME} "
        f"and the SAML provider {principal}"
    )
