"""Signing in through IAM Identity Center (SSO), configured the AWS CLI's way.

Chosen when the bastion profile (``AWS_PROFILE_ASSUME_ROLE``, else
``default``) is an IAM Identity Center profile: ``sso_session`` naming an
``[sso-session NAME]`` section, or a legacy ``sso_start_url`` (see
``aws.profiles.sso_config``). Two ways to a role:

* direct, when the profile names no role of its own: ACCOUNT ROLE is a
  permission set assigned to you in that account, and
  ``assume-role production AdministratorAccess`` is one GetRoleCredentials.
  The permission set decides how long the session lasts.
* hub and spoke, when the profile names its own role (``sso_account_id``,
  ``sso_role_name``): that permission set's credentials in the bastion
  account are the bastion, kept in the store like an MFA session, and
  assume ``arn:aws:iam::ACCOUNT:role/ROLE`` as the bastion user's do. That is
  role chaining, so a role session lasts one hour at most.

The sign-in is the AWS CLI's (``state.sso_tokens``): a valid token in
``~/.aws/sso/cache`` is used without asking, one about to end is renewed with
its refresh token, and otherwise the person signs in with the OIDC device
flow: the address and code are shown on the terminal (never on stdout), the
browser opened where there is one, and CreateToken polled until the person
approves. The new token is written back for the CLI and the SDKs. Parallel
runs sign in once: whoever takes the lock signs in, the others wait and use
its token. Ctrl-C leaves every file as it was.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from assume_role import settings, validate
from assume_role.credentials import Credentials, MfaSession
from assume_role.errors import CredentialsError, NetworkError, UsageError
from assume_role.request import Request
from assume_role.signin.source import Asking, SignIn

Log = Callable[[str], None]

# A stored token this close to its end is not used: the call it serves must
# arrive before it ends, and clocks drift.
TOKEN_MARGIN = 60
# A client registration this close to its end is replaced before a sign-in
# (a sign-in's refresh token lasts as long as its registration).
REGISTRATION_MARGIN = 86400
# How long a run without a person waits for another run's sign-in, in seconds.
NO_PERSON_WAIT = 30
# The hub session is stored under this "device", as the MFA session is under its serial.
HUB_SERIAL = "sso-hub"
_USER_CODE = re.compile(r"[A-Za-z0-9-]{1,64}")


class SsoSignIn(SignIn):
    """IAM Identity Center's permission sets, directly or as the hub of hub and spoke."""

    name = "IAM Identity Center"

    def __init__(self, config, asking: Asking | None = None):
        # config: an aws.profiles.SsoConfig
        super().__init__(asking or Asking())
        self.config = config
        self._token: str | None = None  # the access token this run signed in with

    # -- the contract ---------------------------------------------------------

    @property
    def key(self) -> str:
        """The sign-in's name in the AWS CLI's cache: the sso-session, or a legacy profile's start URL."""
        return self.config.session or self.config.start_url

    def standing(self, store):
        """The stored sign-in's end, from the AWS CLI's cache file (never AWS)."""
        from assume_role.signin.source import Standing
        from assume_role.state import sso_tokens

        token = sso_tokens.read(self.key)
        usable = token is not None and token.start_url == self.config.start_url
        expires = int(token.expires_at.timestamp()) if usable and token.expires_at is not None else None
        return Standing(
            "sso", f"IAM Identity Center: {self.key}", self.config.profile, "sso_session" if self.config.session
            else "sso_start_url", expires_at=expires, lasting="the IAM Identity Center sign-in",
        )

    @property
    def hub(self) -> bool:
        return self.config.role_name is not None

    @property
    def cache_profile(self) -> str:
        profile = f"sso:{self.key}"
        if self.hub:
            profile += f"@{self.config.account_id}:{self.config.role_name}"
        return profile

    def shape(self, request: Request) -> Request:
        if not self.hub:
            # GetRoleCredentials takes only the account and the permission set.
            return request._replace(duration=None, external_id=None, session_name=None, source_identity=False,
                                    tags=())
        if request.duration is not None and request.duration > settings.ROLE_CHAINING_LIMIT:
            from assume_role.state.files import warn

            warn(f"AWS_ROLE_SESSION_TIMEOUT={request.duration} is over the 1-hour limit of role chaining, which "
                 f"applies to roles assumed from an IAM Identity Center role; asking for "
                 f"{settings.ROLE_CHAINING_LIMIT}s")
            return request._replace(duration=settings.ROLE_CHAINING_LIMIT)
        return request

    def role_credentials(self, request: Request, store, log: Log, *, console: bool = False) -> Credentials:
        if self.hub:
            return self._through_hub(request, store, log)
        return self.permission_set(request.account.id, request.role, _label(request.account), log)

    def offered_roles(self, account, log: Log) -> tuple[str, ...]:
        """The permission sets the person has in ``account`` (ListAccountRoles), for the picker."""
        if self.hub:
            return ()  # the targets are IAM roles, which the portal does not list
        from assume_role.aws import sso_api
        from assume_role.state import sso_roles

        roles = tuple(self._with_token(log, lambda token: sso_api.account_roles(self.config.region, token,
                                                                                 account.id)))
        sso_roles.remember(self.config.profile, {account.id: list(roles)})
        return roles

    def assignments(self, log: Log) -> list[tuple[str, str, list[str]]]:
        """(account id, account name, permission sets) of every account assigned to the person."""
        from assume_role.accounts import ACCOUNT_ID
        from assume_role.aws import sso_api

        region = self.config.region

        def listed(token: str) -> list[tuple[str, str, list[str]]]:
            log("calling IAM Identity Center ListAccounts")
            found = []
            for account_id, name in sso_api.accounts(region, token):
                if not ACCOUNT_ID.fullmatch(account_id):
                    continue  # not an account id: nothing an alias could name
                log(f"calling IAM Identity Center ListAccountRoles for {account_id}")
                roles = [role for role in sso_api.account_roles(region, token, account_id) if _role_name(role)]
                found.append((account_id, name, roles))
            return found

        return self._with_token(log, listed)

    def stored_token(self):
        """The stored sign-in of this configuration (an ``sso_tokens.Token``), valid or not; None if none."""
        from assume_role.state import sso_tokens

        found = sso_tokens.read(self.key)
        return found if found is not None and found.start_url == self.config.start_url else None

    def sign_out(self) -> bool:
        """End the stored sign-in at IAM Identity Center and forget it, here and for the AWS CLI."""
        from assume_role.aws import sso_api
        from assume_role.errors import AssumeRoleError
        from assume_role.state import sso_tokens
        from assume_role.state.files import warn

        found = sso_tokens.read(self.key)
        if found is None:
            return False
        try:
            sso_api.logout(self.config.region, found.access_token)
        except sso_api.SignInRejected:
            pass  # already ended there
        except AssumeRoleError as exc:
            warn(f"could not end the sign-in at IAM Identity Center ({exc}); it is forgotten here all the same")
        return sso_tokens.remove(self.key)

    # -- direct ----------------------------------------------------------------

    def permission_set(self, account_id: str, role: str, label: str, log: Log) -> Credentials:
        from assume_role.aws import sso_api

        def get(token: str) -> Credentials:
            log(f"calling IAM Identity Center GetRoleCredentials for {role} in {label}")
            return sso_api.role_credentials(self.config.region, token, account_id, role, label)

        return self._with_token(log, get)

    def _with_token(self, log: Log, call):
        """``call(access token)``, signing in again once if the portal no longer takes the token."""
        from assume_role.aws import sso_api

        token = self.token(log)
        try:
            return call(token)
        except sso_api.SignInRejected:
            log("IAM Identity Center no longer accepts the sign-in; signing in again")
            return call(self.token(log, rejected=token))

    # -- hub and spoke -------------------------------------------------------------

    def _through_hub(self, request: Request, store, log: Log) -> Credentials:
        from assume_role.aws.errors import CredentialsRejected
        from assume_role.signin.mfa_flow import assume_role_params

        session = self._hub_session(request, store, log)
        params = assume_role_params(request, session.user_name)
        length = f"{request.duration}s" if request.duration is not None else "AWS's default duration"
        log(f"calling sts:AssumeRole on {request.role_arn} for {length} with the IAM Identity Center hub role")
        try:
            return _sts(request.region).assume_role(session.credentials, **params)
        except CredentialsRejected:
            # The stored hub session was revoked or ended early: a new one, once.
            log("the stored hub session was rejected; getting a new one")
            store.discard_mfa(self.cache_profile, HUB_SERIAL)
            session = self._hub_session(request, store, log)
            return _sts(request.region).assume_role(session.credentials, **params)

    def _hub_session(self, request: Request, store, log: Log) -> MfaSession:
        """The hub role's session: stored, or one GetRoleCredentials (and who it is, once)."""
        config = self.config
        hub = f"{config.account_id}:{config.role_name}"
        session = store.load_mfa(self.cache_profile, HUB_SERIAL, hub)
        if session is not None:
            log(f"reusing the hub session of {config.role_name} ({int(session.credentials.seconds_left() // 60)} "
                "min left)")
            return session
        credentials = self.permission_set(config.account_id, config.role_name, config.account_id, log)
        user_name = request.session_name
        if user_name is None:
            log("calling sts:GetCallerIdentity to find your IAM Identity Center user name")
            user_name = _sts(request.region).caller_arn(credentials).rsplit("/", 1)[-1]
        session = MfaSession(credentials, self.cache_profile, HUB_SERIAL, user_name, hub)
        store.save_mfa(session)
        return session

    # -- the sign-in ---------------------------------------------------------------

    def token(self, log: Log, rejected: str | None = None) -> str:
        """An access token: this run's, the stored one, a renewed one, or a new sign-in."""
        from assume_role.state import sso_tokens

        if self._token is not None and self._token != rejected:
            return self._token
        stored = self._usable(sso_tokens.read(self.key), rejected)
        if stored is not None:
            log(f"using the IAM Identity Center sign-in in {sso_tokens.cache_path(self.key)} "
                f"({int(sso_tokens.seconds_left(stored.expires_at) // 60)} min left)")
            return self._keep(stored)
        waiting = f"waiting for another assume-role that is signing in to IAM Identity Center ({self.key})"
        # A run nobody can sign in for (the auto-refresh before a command)
        # waits for another's sign-in only briefly, then says what to run.
        timeout = sso_tokens.SIGN_IN_LOCK_TIMEOUT if self.asking.person_present() else NO_PERSON_WAIT
        with sso_tokens.lock(self.key, waiting, timeout):
            found = sso_tokens.read(self.key)
            stored = self._usable(found, rejected)
            if stored is not None:
                log("another run just signed in; using its sign-in")
                return self._keep(stored)
            if found is not None and found.start_url == self.config.start_url and sso_tokens.renewable(found):
                renewed = self._refresh(found, log)
                if renewed is not None:
                    return self._keep(renewed)
            if not self.asking.person_present():
                raise CredentialsError(self.asking.renewal("the IAM Identity Center sign-in has ended") or (
                    f"the IAM Identity Center sign-in for {self.key} has ended and there is no terminal to sign in "
                    "on: run assume-role (or aws sso login) in a terminal"
                ))
            return self._keep(self._sign_in(found, log))

    def _usable(self, stored, rejected: str | None):
        from assume_role.state import sso_tokens

        if stored is None or stored.start_url != self.config.start_url or stored.access_token == rejected:
            return None
        return stored if sso_tokens.seconds_left(stored.expires_at) > TOKEN_MARGIN else None

    def _keep(self, token) -> str:
        self._token = token.access_token
        return token.access_token

    def _hint(self) -> str:
        return f"check sso_start_url and sso_region of {self._where()}"

    def _where(self) -> str:
        return f"[sso-session {self.config.session}]" if self.config.session else f"profile {self.config.profile!r}"

    def _refresh(self, found, log: Log):
        from assume_role.aws import sso_api
        from assume_role.state import sso_tokens

        registration = sso_api.Registration(found.client_id, found.client_secret, found.registration_expires_at)
        log("renewing the IAM Identity Center sign-in with its refresh token")
        try:
            issued = sso_api.create_token(self.config.region, registration, self._hint(),
                                          refresh_token=found.refresh_token)
        except (sso_api.RefreshRefused, sso_api.ClientRejected):
            log("IAM Identity Center refused the refresh token; signing in afresh")
            return None
        token = self._token_of(issued, registration, found.refresh_token)
        sso_tokens.write(self.key, token)
        return token

    def _token_of(self, issued, registration, previous_refresh: str | None = None):
        from assume_role.state.sso_tokens import Token

        expires = (datetime.now(timezone.utc) + timedelta(seconds=issued.expires_in)).replace(microsecond=0)
        refresh = issued.refresh_token or previous_refresh
        # A legacy profile's sign-in is not renewed (the AWS CLI does not either).
        if not self.config.session:
            refresh = None
        return Token(self.config.start_url, self.config.region, issued.access_token, expires, refresh,
                     registration.client_id, registration.client_secret, registration.expires_at)

    def _registration(self, found, log: Log):
        """The stored client registration while it lasts, else a new one."""
        from assume_role.aws import sso_api
        from assume_role.state import sso_tokens

        if (found is not None and found.client_id and found.client_secret
                and sso_tokens.seconds_left(found.registration_expires_at) > REGISTRATION_MARGIN):
            return sso_api.Registration(found.client_id, found.client_secret, found.registration_expires_at)
        log("calling IAM Identity Center RegisterClient")
        return sso_api.register_client(self.config.region, self.config.scopes, self._hint())

    def _sign_in(self, found, log: Log):
        """The device flow: one device authorization, approved by the person in the browser."""
        from assume_role.aws import sso_api
        from assume_role.state import sso_tokens

        config = self.config
        registration = self._registration(found, log)
        log("calling IAM Identity Center StartDeviceAuthorization")
        try:
            device = sso_api.start_device_authorization(config.region, registration, config.start_url, self._hint())
        except sso_api.ClientRejected:
            registration = sso_api.register_client(config.region, config.scopes, self._hint())
            device = sso_api.start_device_authorization(config.region, registration, config.start_url, self._hint())
        _show(device, config.start_url)
        issued = _poll(config.region, registration, device, self._hint(), log)
        token = self._token_of(issued, registration)
        sso_tokens.write(self.key, token)
        log(f"signed in to IAM Identity Center; the sign-in is kept in {sso_tokens.cache_path(self.key)}")
        return token


def _role_name(value: str) -> bool:
    try:
        validate.role_name(value)
    except UsageError:
        return False
    return True


def _label(account) -> str:
    return account.alias if account.alias == account.id else f"{account.alias} ({account.id})"


def _sts(region: str):
    from assume_role.aws import query

    return query.Client(region)


def _checked_page(url: str | None) -> str | None:
    """A verification address fit to show and open: https (or loopback), printable, bounded."""
    from assume_role.aws.endpoints import is_safe, well_formed

    if url is None:
        return None
    if len(url) > 2048 or not well_formed(url) or not is_safe(url):
        raise NetworkError("IAM Identity Center answered a sign-in address that is not an https URL; "
                           "nothing was opened")
    return url


def _show(device, start_url: str) -> None:
    """The address and code on the person's terminal, and the browser opened where there is one."""
    from assume_role import browser

    page = _checked_page(device.verification_uri)
    complete = _checked_page(device.verification_uri_complete)
    if not _USER_CODE.fullmatch(device.user_code):
        raise NetworkError("IAM Identity Center answered a sign-in code that is not one; nothing was shown")
    lines = [f"assume-role: sign in to IAM Identity Center ({start_url}): open {page} and enter the code "
             f"{device.user_code}"]
    if complete and browser.open_page(complete):
        lines.append(f"assume-role: opened your browser: check that it shows the code {device.user_code}")
    lines.append("assume-role: waiting for the sign-in to be approved (Ctrl-C to stop)")
    _tell("\n".join(lines) + "\n")


def _tell(text: str) -> None:
    """On the terminal: stderr when it is one, else the controlling terminal (credential-process), else stderr."""
    import os

    from assume_role.validate import printable

    text = "\n".join(printable(line) for line in text.split("\n"))
    if not sys.stderr.isatty():
        try:
            fd = os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            pass
        else:
            with os.fdopen(fd, "w") as terminal:
                terminal.write(text)
            return
    sys.stderr.write(text)
    sys.stderr.flush()


def _poll(region: str, registration, device, hint: str, log: Log):
    """CreateToken every ``interval`` seconds until the person approves, or the code expires."""
    from assume_role.aws import sso_api

    deadline = time.monotonic() + device.expires_in
    interval = device.interval
    while True:
        time.sleep(interval)
        try:
            return sso_api.create_token(region, registration, hint, device_code=device.device_code)
        except sso_api.SlowDown:
            interval += 5
            log(f"IAM Identity Center asked to poll more slowly: every {interval}s")
        except sso_api.Pending:
            pass
        if time.monotonic() + interval > deadline:
            raise CredentialsError("the IAM Identity Center sign-in code expired before it was approved; "
                                   "run assume-role again and approve it in the browser")


def in_use(profile: str | None = None) -> SsoSignIn | None:
    """The IAM Identity Center sign-in of the bastion profile (or ``profile``), if it is one.

    For status, logout and accounts list, which never ask anyone and must
    work with a broken configuration too: then, and with the SAML scheme on, None.
    """
    from assume_role.signin import saml

    if profile is None and saml.chosen():
        return None
    try:
        return configured(profile or settings.bastion_profile(), Asking(terminal=False),
                          setting=profile is None and not settings.bastion_profile_named())
    except UsageError:
        return None



# The accounts file's setting naming the IAM Identity Center sign-in:
# {"sso_session": NAME} (an [sso-session NAME] of the AWS config) or {"profile": NAME}.
SETTING = "#sso"


def configured(profile: str, asking: Asking, *, setting: bool = False) -> SsoSignIn | None:
    """The source when the bastion profile is an IAM Identity Center one, else None.

    ``setting``: the bastion profile was not named (AWS_PROFILE_ASSUME_ROLE):
    then the accounts file's ``"#sso"`` may name the sign-in instead.
    """
    from assume_role.aws import profiles

    config = profiles.sso_config(profile)
    if config is None and setting:
        config = _named_by_accounts_file(profile)
    return None if config is None else SsoSignIn(config, asking)


def _named_by_accounts_file(profile: str):
    from assume_role import accounts
    from assume_role.aws import profiles
    from assume_role.state import paths

    value = accounts.setting(SETTING)
    if value is None:
        return None
    where = f'"{SETTING}" in the accounts file {paths.accounts_file()}'
    if not (isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), str)
            and next(iter(value)) in ("sso_session", "profile")):
        raise UsageError(f'{where} must be {{"sso_session": "NAME"}} or {{"profile": "NAME"}}')
    if "sso_session" in value:
        return profiles.sso_session_config(value["sso_session"], profile, where)
    config = profiles.sso_config(value["profile"])
    if config is None:
        raise UsageError(f"{where} names profile {value['profile']!r}, which has no sso_session or sso_start_url")
    return config


def no_mfa_code(args, mfa_token: str | None) -> None:
    """With IAM Identity Center the arguments are ACCOUNT ROLE [REGION]: no MFA code."""
    if args is not None:
        if args.region:
            raise UsageError("with IAM Identity Center the arguments are ACCOUNT ROLE [REGION]")
        if args.mfa_token and not args.mfa_token.isdigit():
            args.region, args.mfa_token = validate.region(args.mfa_token), None
            return
        mfa_token = args.mfa_token
    if mfa_token:
        raise UsageError("with IAM Identity Center no MFA code is used: the arguments are ACCOUNT ROLE [REGION]")
