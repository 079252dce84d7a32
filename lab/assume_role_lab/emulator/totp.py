"""RFC 6238 time-based one-time passwords, as a virtual MFA device computes them.

IAM virtual MFA devices use the defaults of the RFC: HMAC-SHA1, a 30 second step
and six digits, keyed by the Base32 seed that CreateVirtualMFADevice hands out.
Only the standard library is used so that test helpers can import this cheaply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP_SECONDS = 30
DIGITS = 6


def _key_from_seed(seed: str | bytes) -> bytes:
    if isinstance(seed, bytes):
        seed = seed.decode("ascii")
    # Seeds are often shown grouped or lower-cased; padding is optional in practice.
    cleaned = seed.replace(" ", "").upper()
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned)


def time_step(when: float | None = None) -> int:
    """The RFC 6238 counter for a Unix time (now when omitted)."""
    return int((time.time() if when is None else when) // STEP_SECONDS)


def code_for_step(seed: str | bytes, step: int) -> str:
    """The one-time code a device shows during time step ``step`` (RFC 4226 HOTP)."""
    digest = hmac.new(_key_from_seed(seed), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def totp(seed: str | bytes, when: float | None = None) -> str:
    """The code a virtual MFA device with this seed shows at ``when`` (now by default)."""
    return code_for_step(seed, time_step(when))


def matching_step(
    seed: str | bytes, code: str, when: float | None = None, window: int = 1
) -> int | None:
    """The time step whose code equals ``code``, allowing ``window`` steps of clock drift.

    AWS accepts a code from the neighbouring steps as well, because the person
    typing it needs a few seconds and phones drift.
    """
    current = time_step(when)
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(code_for_step(seed, step), code):
            return step
    return None
