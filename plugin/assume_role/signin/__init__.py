"""Sign-in sources: every way this tool gets role credentials, behind one contract.

``commands.assume.obtain`` resolves the whole request, asks the store, and
only on a miss asks the run's ``SignIn`` for new credentials. The commands
never know which source they hold: ``choose`` picks it from the settings, and
a new way to sign in is one module with a ``SignIn`` subclass plus one line
in ``choose``.

This module imports nothing heavy: a cache hit builds a source too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Asking:
    """Whether and where a source may ask a person (an MFA code, a password).

    ``terminal``: a question may be asked at all (the shells' auto-refresh
    never asks). ``require_stdin``: only when stdin is the terminal; False
    lets a helper started by a tool with pipes (credential-process) ask on
    the controlling terminal. ``advice``: the line to give when nobody can be
    asked, instead of the source's own.
    """

    __slots__ = ("terminal", "require_stdin", "advice")

    def __init__(self, *, terminal: bool = True, require_stdin: bool = True, advice: str | None = None):
        self.terminal = terminal
        self.require_stdin = require_stdin
        self.advice = advice

    def person_present(self) -> bool:
        if not self.terminal:
            return False
        from assume_role import interactive

        return interactive.available(require_stdin=self.require_stdin)


ON_TERMINAL = Asking()


class SignIn(ABC):
    """One way to get role credentials.

    What it needs to know comes in through its constructor (``choose``
    reads the settings once). How it caches: ``cache_profile`` is the profile
    part of the store's keys, so credentials from different sources never
    serve each other. How it asks: only through its ``Asking``. How it fails:
    ``role_credentials`` raises ``errors.AssumeRoleError`` subclasses only,
    each one line of ours with its exit code; nothing from a library.
    """

    #: How status and -v name this source.
    name: str

    def __init__(self, asking: Asking = ON_TERMINAL):
        self.asking = asking

    @property
    @abstractmethod
    def cache_profile(self) -> str:
        """Keeps this source's stored credentials apart from every other's."""

    def shape(self, request):
        """The request as this source can send it (default: unchanged)."""
        return request

    @abstractmethod
    def role_credentials(self, request, store, log, *, console: bool = False):
        """New ``Credentials`` for ``request``'s role.

        ``console``: credentials the federation endpoint accepts (the caller
        stores none of them). ``store`` keeps whatever session the source
        reuses between runs (the bastion's MFA session).
        """

    def unused_input(self) -> str | None:
        """A one-time input given for this run that was not spent, by name."""
        return None


def choose(mfa_token: str | None = None, asking: Asking = ON_TERMINAL, *, arguments=None) -> SignIn:
    """The run's source, from the settings: SAML when AWS_ASSUME_ROLE_AUTH_SCHEME
    says so, else the bastion profile with MFA. Its settings are checked
    here, before anything is asked or sent.

    ``arguments``: the main command's, which SAML reads as ACCOUNT ROLE
    [REGION] (the third word is then the region, as in the original tool).
    """
    from assume_role import settings

    if settings.auth_scheme() == "saml":
        from assume_role.errors import UsageError
        from assume_role.signin import saml

        provider = saml.configured(arguments)
        if mfa_token and arguments is None:
            raise UsageError(f"with {settings.AUTH_SCHEME}=saml no MFA code is used")
        return saml.SamlSignIn(provider, asking)
    from assume_role.signin.bastion_mfa import BastionMfa

    return BastionMfa(settings.bastion_profile(), mfa_token, asking)
