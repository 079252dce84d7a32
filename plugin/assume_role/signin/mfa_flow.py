"""The STS flow: MFA session, then the role.

With an IAM user's long-term keys, two paths, because AWS treats AssumeRole
from temporary credentials as role chaining and caps it at one hour:

* up to 1 hour: GetSessionToken with MFA (12 h, reusable by later runs), then
  AssumeRole with those session credentials;
* over 1 hour: AssumeRole straight from the long-term keys with SerialNumber
  and TokenCode, which AWS allows up to the role's MaxSessionDuration.

A bastion profile whose credentials are temporary already (they carry a
session token: a role profile, SSO, ``aws login``, a credential_process that
returns a session) cannot call GetSessionToken, and has signed in its own way:
the role is assumed with those credentials directly, no MFA step, for at most
the hour role chaining allows.
"""

from __future__ import annotations

from collections.abc import Callable

from assume_role import settings, validate
from assume_role.aws.bastion import Bastion, PlainBastion
from assume_role.credentials import Credentials, MfaSession
from assume_role.errors import AssumeRoleError, CredentialsError, MfaError, NetworkError
from assume_role.request import Request
from assume_role.state import devices
from assume_role.state.files import warn
from assume_role.state.store import Store

Log = Callable[[str], None]


def open_bastion(profile: str, source=None) -> Bastion:
    """The profile served the cheapest way that reads it correctly (see ``aws.bastion``).

    Its long-term keys come from ``source`` when given, else from the OS
    keyring when ``keys add`` put them there, else from its files. Whether
    they are in the keyring is one small file's answer (``key_store.held``):
    keyring itself is imported only once the secret is needed.
    """
    from assume_role.aws import profiles
    from assume_role.state import key_store

    profiles.scrub_environment()
    if source is None:
        source = key_store.held(profile)
    plain = profiles.plain_profile(profile, held=source is not None)
    if plain is not None:
        return PlainBastion(profile, plain, source)
    from assume_role.aws.sdk import SdkBastion

    return SdkBastion(profile, source=source)


class MfaSessions:
    """The bastion user's MFA session: the stored one, or a new one made with a code.

    What the role flow and ``keys rotate`` share: who the user is, which
    device, and GetSessionToken under the store's lock.
    """

    def __init__(self, profile: str, bastion: Bastion, store: Store, codes, log: Log):
        self.profile = profile
        self.bastion = bastion
        self.store = store
        self.codes = codes  # a signin.mfa_codes.CodeSource
        self.log = log
        # The bastion user and MFA device found on an earlier run, read once.
        self.remembered = devices.recall(profile)
        self._bastion_keys: Credentials | None = None

    def keys(self) -> Credentials:
        """The bastion's long-term keys, read once."""
        if self._bastion_keys is None:
            self._bastion_keys = self.bastion.credentials()
        return self._bastion_keys

    def configured_serial(self) -> str | None:
        return self.bastion.config.get("mfa_serial") or settings.mfa_serial_from_environment()

    def known_serial(self) -> str | None:
        return self.configured_serial() or self.remembered.get("serial")

    def reusable(self) -> MfaSession | None:
        serial = self.known_serial()
        if not serial:
            return None
        # Only a session made with the keys the profile holds now: after a
        # switch to another IAM user's keys, the old user's session is not theirs.
        session = self.store.load_mfa(self.profile, serial, self.bastion.key_id())
        if session is not None:
            self.log(f"reusing the MFA session for {serial} ({int(session.credentials.seconds_left() // 60)} min left)")
        return session

    def identify(self, keys: Credentials) -> tuple[str, str]:
        """The bastion IAM user's name and MFA device serial."""
        remembered = self._remembered_for(keys)
        user_name = remembered.get("user_name") or self.user_name(keys)
        serial = self.configured_serial() or remembered.get("serial") or self._list_mfa_device(keys, user_name)
        devices.remember(self.profile, keys.access_key_id, user_name, serial)
        return user_name, serial

    def _remembered_for(self, keys: Credentials) -> dict:
        """What an earlier run found out with these very keys; nothing after a switch of keys."""
        remembered = self.remembered
        if remembered.get("access_key_id") == keys.access_key_id and remembered.get("user_name"):
            return remembered
        return {}

    def user_name(self, keys: Credentials) -> str:
        """The IAM user the keys belong to, says sts:GetCallerIdentity."""
        self.log("calling sts:GetCallerIdentity to find the bastion user")
        arn = self.bastion.caller_arn(keys)
        if ":user/" not in arn:
            raise CredentialsError(
                f"the bastion profile {self.profile!r} must hold an IAM user's keys, but they belong to {arn}"
            )
        return arn.rsplit("/", 1)[-1]

    def _list_mfa_device(self, keys: Credentials, user_name: str) -> str:
        hint = f"set mfa_serial in profile {self.profile!r} or ASSUME_ROLE_MFA_SERIAL"
        try:
            found = self.bastion.mfa_serials(keys, user_name)
        except (MfaError, CredentialsError, NetworkError):
            raise
        except AssumeRoleError as exc:  # AccessDenied and friends: the serial can be configured instead
            raise MfaError(f"cannot look up the MFA device of {user_name} ({exc}); {hint}") from None
        if not found:
            raise MfaError(f"IAM user {user_name} has no MFA device; enable one, or {hint}")
        serial = found[0]
        self.log(f"found MFA device {serial} for {user_name}")
        return serial

    def new(self) -> MfaSession:
        """A new MFA session (or one a parallel run just made), stored for later runs."""
        keys = self.keys()
        user_name, serial = self.identify(keys)
        profile = self.profile
        if serial != self.known_serial():
            # The device was only found now: its session may be stored (say, from
            # before the profile held another user's keys for a while).
            session = self.store.load_mfa(profile, serial, keys.access_key_id)
            if session is not None:
                return session
        # A person is asked with no lock held: a prompt left unanswered in one
        # terminal must not stop the others. A code given or printed by the
        # MFA command is taken under the lock, so that parallel runs (a dozen
        # SDK processes through credential-process) run that command once.
        code = self.codes.code(serial, settings.MFA_SESSION_DURATION) if self.codes.asks_person() else None
        # Concurrent runs queue here; all but the first find the session the
        # first one made, so one GetSessionToken serves every terminal.
        waiting = f"waiting for another assume-role that is getting an MFA session for {serial}"
        with self.store.lock_mfa(profile, serial, waiting):
            session = self.store.load_mfa(profile, serial, keys.access_key_id)
            if session is not None:
                self.log("another assume-role just made an MFA session; reusing it")
                return session
            if code is None:
                code = self.codes.code(serial, settings.MFA_SESSION_DURATION)
            return self._new_session(keys, user_name, serial, code)

    def _new_session(self, keys: Credentials, user_name: str, serial: str, code: str) -> MfaSession:
        self.log(f"calling sts:GetSessionToken with MFA device {serial}")
        try:
            credentials = self.bastion.session_token(keys, serial, code, settings.MFA_SESSION_DURATION)
        except MfaError:
            # AWS refused the code itself (a network failure is no reason to
            # doubt the device): maybe the remembered device is gone.
            devices.forget(self.profile)
            raise
        session = MfaSession(credentials, self.profile, serial, user_name, keys.access_key_id)
        self.store.save_mfa(session)
        return session


class Flow:
    """GetSessionToken (kept in the store) then AssumeRole, for one request."""

    def __init__(self, request: Request, bastion: Bastion, store: Store, codes, log: Log):
        self.request = request
        self.bastion = bastion
        self.codes = codes  # a signin.mfa_codes.CodeSource
        self.log = log
        self.sessions = MfaSessions(request.profile, bastion, store, codes, log)
        # The profile's credentials were temporary: no MFA step was taken.
        self.temporary = False
        # The end of the MFA session the role was assumed from (None: none was used).
        self.session_ends = None

    def run(self) -> Credentials:
        if self.bastion.source is None:
            # Keys held in the keyring are an IAM user's long-term keys; others
            # may be a session already (a role, SSO or login profile, a
            # credential_process that gives one), which needs no MFA step.
            keys = self.sessions.keys()
            if keys.session_token:
                self.temporary = True
                return self._assume_with_session(keys)
        if self.request.duration is not None and self.request.duration > settings.ROLE_CHAINING_LIMIT:
            self.log(
                f"{self.request.duration}s is over the 1-hour role-chaining limit: "
                "assuming the role directly with the long-term keys and MFA"
            )
            return self._assume_directly()
        session = self.sessions.reusable()
        if session is not None:
            try:
                return self._assume_from(session)
            except CredentialsError:
                # Revoked or expired early: forget it and authenticate afresh.
                self.log("the stored MFA session was rejected; asking for a new MFA code")
                self.sessions.store.discard_mfa(session.profile, session.serial)
        return self._assume_from(self.sessions.new())

    def _assume_from(self, session: MfaSession) -> Credentials:
        credentials = self._assume(session.credentials, session.user_name)
        self.session_ends = session.credentials.expiration
        return credentials

    # -- the role ------------------------------------------------------------

    def _assume(self, credentials: Credentials, user_name: str, *, duration: int | None = None, **mfa) -> Credentials:
        request = self.request
        duration = request.duration if duration is None else duration
        length = f"{duration}s" if duration is not None else "AWS's default duration"
        self.log(f"calling sts:AssumeRole on {request.role_arn} for {length}")
        return self.bastion.assume_role(credentials, **assume_role_params(request, user_name, duration=duration, **mfa))

    def _assume_directly(self) -> Credentials:
        keys = self.sessions.keys()
        user_name, serial = self.sessions.identify(keys)
        code = self.codes.code(serial, self.request.duration)
        try:
            return self._assume(keys, user_name, SerialNumber=serial, TokenCode=code)
        except MfaError:
            devices.forget(self.request.profile)
            raise

    # -- temporary bastion credentials ----------------------------------------

    def _assume_with_session(self, keys: Credentials) -> Credentials:
        """AssumeRole with the profile's own session: no MFA step, at most the role-chaining hour."""
        from assume_role.aws.errors import TrustRefused

        request, profile = self.request, self.request.profile
        self.log(f"the bastion profile {profile!r} gives temporary credentials: assuming the role with them, no MFA step")
        asked = request.duration
        duration = min(asked, settings.ROLE_CHAINING_LIMIT) if asked is not None else None
        arn = None
        if request.session_name is None or request.source_identity:
            self.log("calling sts:GetCallerIdentity to name the role session")
            arn = self.bastion.caller_arn(keys)
        name = validate.session_name(name_in_arn(arn)) if arn else None
        try:
            credentials = self._assume(keys, name or request.session_name, duration=duration)
        except TrustRefused:
            who = f" ({arn})" if arn else ""
            raise TrustRefused(
                f"AWS denied sts:AssumeRole on {request.role_arn} to the temporary credentials of bastion profile "
                f"{profile!r}{who}: no MFA step is taken with them, so the role's trust policy must allow that "
                "principal without an MFA condition"
            ) from None
        if duration != asked:
            # Said once the role is assumed, so that a failure stays one line.
            # Refusing would fail every run of someone whose AWS_ROLE_SESSION_TIMEOUT
            # suits their other profiles.
            warn(
                f"AWS_ROLE_SESSION_TIMEOUT={asked} is over the 1-hour limit of a role assumed with the "
                f"temporary credentials of bastion profile {profile!r} (role chaining): assumed it for {duration}s"
            )
        expires = keys.expiration.timestamp() if keys.expiration is not None else None
        devices.remember_temporary(profile, name, expires)
        return credentials


def name_in_arn(arn: str) -> str:
    """Who an identity ARN names, as a role session name would: the session of an
    assumed role (``assumed-role/ROLE/SESSION``), a user's or federated user's name,
    or ``root``."""
    resource = arn.split(":", 5)[-1]
    return resource.rsplit("/", 1)[-1]


def assume_role_params(request: Request, user_name: str, *, duration: int | None = None, **mfa) -> dict:
    """sts:AssumeRole's parameters for ``request``, as whoever signed in as ``user_name`` sends them.

    ``duration``: instead of the request's (the role-chaining hour).
    """
    duration = request.duration if duration is None else duration
    params = {
        "RoleArn": request.role_arn,
        "RoleSessionName": request.session_name or validate.session_name(user_name),
        **mfa,
    }
    if duration is not None:
        params["DurationSeconds"] = duration
    if request.external_id is not None:
        params["ExternalId"] = request.external_id
    # Opt-in traceability (each needs its own permission in the trust policy).
    if request.source_identity:
        params["SourceIdentity"] = user_name
    if request.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in request.tags]
    return params
