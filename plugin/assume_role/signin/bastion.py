"""The bastion profile's IAM user with MFA: the original tool's way in, as a sign-in source.

Light on purpose (a cache hit builds one): the flow that talks to AWS is in
``signin.mfa_flow``, imported only when new credentials are needed.
"""

from __future__ import annotations

from collections.abc import Callable

from assume_role import validate
from assume_role.signin.source import Asking, SignIn

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

    @property
    def cache_profile(self) -> str:
        return self.profile

    def role_credentials(self, request, store, log: Log, *, console: bool = False):
        from assume_role.signin.mfa_codes import CodeSource
        from assume_role.signin.mfa_flow import Flow, open_bastion

        bastion = open_bastion(request.profile)
        bastion.region = request.region
        self.codes = CodeSource(self.given, bastion.config, bastion.profile, log, self.asking)
        flow = Flow(request, bastion, store, self.codes, log)
        credentials = flow.run()
        self.session_ends = flow.session_ends
        return credentials

    def unused_input(self) -> str | None:
        if self.given is None or (self.codes is not None and self.codes.used):
            return None
        return "the MFA code given"
