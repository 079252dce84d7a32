"""What the strict layer keeps beside moto's own state, in one object.

The strict layer enforces its rules with it and the control API under
/_strict/ reads and changes it; both are handed the same instance, so neither
module needs the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import AssumedRoles, CallCounter, FaultBoard
from .identity_center import IdentityCenter
from .mfa import MfaCodes
from .propagation import KeyPropagation
from .sessions import SessionRegistry


@dataclass(frozen=True)
class AdminKey:
    """A key for seeding worlds: bypasses the strict rules, may pick the account.

    It exists only in the strict layer (moto has never heard of it), and it is
    the only caller whose x-moto-account-id header reaches moto.
    """

    access_key_id: str
    secret_access_key: str


@dataclass
class LayerState:
    admin: AdminKey
    sessions: SessionRegistry = field(default_factory=SessionRegistry)
    mfa: MfaCodes = field(default_factory=MfaCodes)
    faults: FaultBoard = field(default_factory=FaultBoard)
    calls: CallCounter = field(default_factory=CallCounter)
    assumed: AssumedRoles = field(default_factory=AssumedRoles)
    # Role sessions from AssumeRole end this many seconds after they are
    # issued, whatever was asked (None: as asked); set through the control API.
    role_session_seconds: int | None = None
    # A broken ListAccounts paging, set through the control API (an organization.BrokenPaging).
    paging: object | None = None
    identity_center: IdentityCenter = field(default_factory=IdentityCenter)
    propagation: KeyPropagation = field(default_factory=KeyPropagation)
