"""A local, strict AWS emulator for tests, benchmarks and the demo.

moto's server answers the AWS APIs; the strict layer in front of it enforces
the authentication, MFA and session rules moto skips (see ``strict``).

    with start_emulator() as emulator:
        world = seed_world(emulator.endpoint)
        code = emulator.control.mfa_code(world.mfa_serial)

Importing this package is cheap: moto and boto3 load only where they are used.
"""

from .control import Control, ControlError
from .server import Emulator, start_emulator
from .world import SsoWorld, World, admin_client, seed_identity_center, seed_world

__all__ = [
    "Control", "ControlError", "Emulator", "SsoWorld", "World", "admin_client", "seed_identity_center", "seed_world",
    "start_emulator",
]
