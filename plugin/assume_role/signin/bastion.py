"""The bastion profile's IAM user with MFA: the original tool's way in, as a sign-in source.

Light on purpose (a cache hit builds one): the flow that talks to AWS is in
``signin.mfa_flow``, imported only when new credentials are needed.
"""

from __future__ import annotations

from collections.abc import Callable

from assume_role import validate
from assume_role.signin.source import Asking, SignIn, Standing

Log = Callable[[str], None]


class BastionMfa(SignIn):
    """The bastion profile's IAM user with MFA: the original tool's way in.

    A code is asked (``mfa_codes.CodeSource``) only when no MFA session is
    stored for the profile; the session then serves every role for 12 hours.
    """

    name = "bastion MFA"

    def __init__(self, profile: str, mfa_token: str | None = None, asking: Asking | None = None):
        super().__init__(asking or Asking())
        self.profile = profile
        self.given = validate.mfa_code(mfa_token) if mfa_token else None
        self.codes = None
        self.flow = None

    @property
    def cache_profile(self) -> str:
        return self.profile

    def role_credentials(self, request, store, log: Log, *, console: bool = False):
        from assume_role.signin.mfa_codes import CodeSource
        from assume_role.signin.mfa_flow import Flow, open_bastion

        bastion = open_bastion(request.profile)
        bastion.region = request.region
        self.codes = CodeSource(self.given, bastion.config, bastion.profile, log, self.asking)
        self.flow = Flow(request, bastion, store, self.codes, log)
        credentials = self.flow.run()
        self.session_ends = self.flow.session_ends
        return credentials

    def standing(self, store) -> Standing:
        from assume_role.aws import profiles
        from assume_role.state import devices

        profile = self.profile
        origin = profiles.credentials_origin(profile)
        remembered = devices.recall(profile)
        via = origin.setting if origin is not None else None
        temporary = origin.temporary if origin is not None else None
        if temporary is None and via is not None:
            # A credential_process: the last run found out.
            if remembered.get("credentials") == devices.TEMPORARY:
                temporary = True
            elif remembered.get("serial"):
                temporary = False
        if temporary:
            ended = remembered.get("expires_at") if remembered.get("credentials") == devices.TEMPORARY else None
            return Standing(
                "profile", f"profile {profile} ({via}): temporary credentials, no MFA step", profile, via,
                expires_at=int(ended) if ended and ended.isdigit() else None, lasting="the last run's credentials",
            )
        if via == "keys":
            summary = f"bastion MFA: profile {profile}, an IAM user's keys"
        elif via is None:
            summary = f"bastion MFA: profile {profile}"
        else:
            summary = f"bastion MFA: profile {profile} ({via})" + ("" if temporary is False else ", if it gives an IAM user's keys")
        _, session = stored_mfa_session(profile, remembered, store)
        expires = int(session.credentials.expiration.timestamp()) if session is not None else None
        return Standing("bastion_mfa", summary, profile, via, expires_at=expires, lasting="the MFA session")

    def unused_input(self) -> str | None:
        if self.given is None or (self.codes is not None and self.codes.used):
            return None
        return "the MFA code given"

    def spared_by(self) -> str:
        if self.flow is not None and self.flow.temporary:
            return f"the bastion profile {self.profile!r} gives temporary credentials, which need no MFA step"
        return "used the stored MFA session"


def stored_mfa_session(profile: str, remembered: dict, store) -> tuple:
    """The MFA device known for ``profile`` and its reusable stored session, read without AWS.

    The keys last seen for the profile stand in for reading them (which may
    need botocore).
    """
    from assume_role import settings
    from assume_role.errors import AssumeRoleError

    serial = settings.mfa_serial_from_environment() or remembered.get("serial")
    if not serial or store is None:
        return serial, None
    try:
        return serial, store.load_mfa(profile, serial, remembered.get("access_key_id"))
    except AssumeRoleError:
        return serial, None
