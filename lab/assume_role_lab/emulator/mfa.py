"""Validating MFA one-time codes: real TOTP plus codes minted for tests.

Tests cannot wait 30 seconds for a fresh TOTP code each time a code is spent,
so the control API can mint extra single-use codes for a device. Either kind
is refused once used, as AWS refuses a replayed code.
"""

from __future__ import annotations

import secrets
import threading
import time

from . import moto_state, totp

# A used TOTP code stays refused at least as long as it could still be valid.
_REPLAY_MEMORY_SECONDS = totp.STEP_SECONDS * 4


class UnknownDevice(LookupError):
    pass


class MfaCodes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minted: dict[str, set[str]] = {}
        self._used: dict[tuple[str, str], float] = {}

    def _forget_old(self, now: float) -> None:
        for key in [k for k, until in self._used.items() if until <= now]:
            del self._used[key]

    def current_totp(self, serial: str) -> str:
        device = moto_state.find_mfa_device(serial)
        if device is None or device.seed is None:
            raise UnknownDevice(serial)
        return totp.totp(device.seed)

    def mint(self, serial: str) -> str:
        """A fresh code that is valid exactly once for ``serial``."""
        device = moto_state.find_mfa_device(serial)
        if device is None:
            raise UnknownDevice(serial)
        now = time.time()
        with self._lock:
            self._forget_old(now)
            minted = self._minted.setdefault(serial, set())
            while True:
                code = f"{secrets.randbelow(10**totp.DIGITS):0{totp.DIGITS}d}"
                # Avoid codes the device itself would show right now, or that were
                # just spent, so "single use" stays unambiguous.
                taken = (serial, code) in self._used or code in minted
                if device.seed and totp.matching_step(device.seed, code, now) is not None:
                    taken = True
                if not taken:
                    minted.add(code)
                    return code

    def redeem(self, serial: str, code: str) -> bool:
        """Check ``code`` for ``serial`` and spend it; False if wrong or already used."""
        device = moto_state.find_mfa_device(serial)
        if device is None:
            return False
        now = time.time()
        with self._lock:
            self._forget_old(now)
            if (serial, code) in self._used:
                return False
            minted = self._minted.get(serial, set())
            valid = code in minted
            if valid:
                minted.discard(code)
            elif device.seed:
                valid = totp.matching_step(device.seed, code, now) is not None
            if valid:
                self._used[(serial, code)] = now + _REPLAY_MEMORY_SECONDS
            return valid

    def forget_minted(self) -> None:
        with self._lock:
            self._minted.clear()
