"""``demo-mfa-code`` in the demo shell: print a fresh code for the demo's MFA device.

    python -m assume_role_lab.demo.code ENDPOINT SERIAL

The emulator mints a code that is valid exactly once, like a code read off an
authenticator app, without waiting for the next 30-second step.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m assume_role_lab.demo.code ENDPOINT SERIAL", file=sys.stderr)
        return 2
    from assume_role_lab.emulator.control import Control

    try:
        print(Control(argv[0], timeout=5).mfa_code(argv[1]))
    except OSError as exc:
        print(f"demo-mfa-code: the demo's emulator does not answer ({exc}); is the demo running?", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
