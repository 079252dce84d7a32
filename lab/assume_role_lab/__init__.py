"""assume-role's lab: the strict AWS emulator and the demo's world.

Not part of the tool: tests, benchmarks and ``assume-role demo`` use it.

- ``assume_role_lab.emulator``: moto's server behind a layer that enforces the
  MFA, session and trust rules AWS enforces (``python -m assume_role_lab.emulator``).
- ``assume_role_lab.demo``: what ``assume-role demo`` runs: the emulator with a
  seeded world and a sandbox, the demo's shells and its scripted walkthrough.
"""

__version__ = "0.1.0"
