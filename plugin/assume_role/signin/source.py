"""The contract every sign-in source keeps (see ``assume_role.signin``).

Imports nothing heavy: a cache hit builds a source too.
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

    def unused_input(self) -> str | None:
        """A one-time input given for this run that was not spent, by name."""
        return None
