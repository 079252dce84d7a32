"""The contract every sign-in source keeps (see ``assume_role.signin``).

Imports nothing heavy: a cache hit builds a source too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import namedtuple


class Asking:
    """Whether and where a source may ask a person (an MFA code, a password).

    ``terminal``: a question may be asked at all (the shells' auto-refresh
    never asks). ``require_stdin``: only when stdin is the terminal; False
    lets a helper started by a tool with pipes (credential-process) ask on
    the controlling terminal. When nobody can be asked, the source words the
    line itself from ``rerun``, the assume-role command that signs in afresh
    on a terminal, and ``situation``, what stands meanwhile (auto-refresh:
    "production:read expires soon"); ``advice`` replaces that line outright.
    """

    __slots__ = ("terminal", "require_stdin", "advice", "rerun", "situation")

    def __init__(self, *, terminal: bool = True, require_stdin: bool = True, advice: str | None = None,
                 rerun: str | None = None, situation: str | None = None):
        self.terminal = terminal
        self.require_stdin = require_stdin
        self.advice = advice
        self.rerun = rerun
        self.situation = situation

    def person_present(self) -> bool:
        if not self.terminal:
            return False
        from assume_role import interactive

        return interactive.available(require_stdin=self.require_stdin)

    def renewal(self, needed: str) -> str | None:
        """The line for a run nobody may answer (auto-refresh): what stands, what
        is ``needed`` (a clause: "the MFA session has ended"), what to run."""
        if self.advice:
            return self.advice
        if self.situation and self.rerun:
            return f"{self.situation} and {needed}: run `{self.rerun}` to renew it"
        return None


ON_TERMINAL = Asking()

# How a sign-in stands, for ``status``. ``kind``: a short fixed word for
# scripts; ``summary``: one line for people; ``profile``: the AWS profile it
# signs in with; ``via``: the setting that gives that profile its credentials;
# ``idp``: the identity provider's name; ``expires_at``: when what it signed
# in with ends (epoch seconds), if known, and ``lasting`` names that.
Standing = namedtuple(
    "Standing", ["kind", "summary", "profile", "via", "idp", "expires_at", "lasting"],
    defaults=(None, None, None, None, None),
)


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
    #: When the session that renews role credentials without a person ends
    #: (the MFA session), as learnt by the last ``role_credentials``; None
    #: when unknown or unbounded. The credential server serves nothing after it.
    session_ends = None

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

    def offered_roles(self, account, log) -> tuple[str, ...]:
        """Roles this source knows ``account`` has for the person, offered first by the picker."""
        return ()

    def standing(self, store) -> Standing:
        """How this sign-in stands, from local files only (never AWS, never botocore).

        ``store``: the session store, or None when it cannot be opened.
        """
        return Standing(self.name.lower().replace(" ", "_"), self.name)

    def unused_input(self) -> str | None:
        """A one-time input given for this run that was not spent, by name."""
        return None

    def spared_by(self) -> str:
        """What made the unused input needless when new credentials were made."""
        return "used the stored session"
