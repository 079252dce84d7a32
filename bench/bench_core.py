"""Benchmarks for the helper itself, against the local strict emulator.

    python bench/bench_core.py [--quick]

Prints medians, each over fresh processes started the way a shell starts
them, for:

- the full MFA flow: empty cache, GetCallerIdentity, ListMFADevices,
  GetSessionToken with a code, AssumeRole;
- a role switch that reuses the stored MFA session (one AssumeRole);
- a cache hit: the role's stored credentials, no AWS call, no botocore
  (beside ``python -c pass`` of the same interpreter, timed in turn with it);
- the same for ``credential-process``, as an SDK runs it;
- ``--help``.

``run()`` returns the numbers so a wider benchmark runner can import this.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT / "lab"))

from assume_role_lab.emulator import seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import write_sandbox  # noqa: E402
from program import compile_package, install, settle  # noqa: E402


def _timed(program: Path, env: dict, *args: str) -> float:
    start = time.perf_counter()
    result = subprocess.run([program, "--shell", "bash", *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"assume-role {' '.join(args)} failed: {result.stderr.strip()}")
    return elapsed


def _bare(env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, stdin=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _forget_sessions(env: dict) -> None:
    for name in ("XDG_CACHE_HOME", "XDG_STATE_HOME"):
        shutil.rmtree(Path(env[name]) / "assume-role", ignore_errors=True)


def run(quick: bool = False) -> dict[str, float]:
    repeats = 5 if quick else 15
    compile_package()
    samples: dict[str, list[float]] = {"full MFA flow": [], "role switch, MFA session reused": [],
                                       "cache hit": [], "credential-process, cache hit": [], "--help": [],
                                       "python -c pass": []}
    with tempfile.TemporaryDirectory() as tmp, start_emulator() as emulator:
        world = seed_world(emulator.endpoint)
        env = write_sandbox(Path(tmp), world)
        program = install(Path(tmp) / "bin")
        settle(env)
        for _ in range(repeats):
            _forget_sessions(env)
            code = emulator.control.mfa_code(world.mfa_serial)
            samples["full MFA flow"].append(_timed(program, env, "production", "read", code))
            samples["role switch, MFA session reused"].append(_timed(program, env, "--refresh", "staging", "admin"))
            samples["cache hit"].append(_timed(program, env, "staging", "admin"))
            # The interpreter's own start, side by side with the hit: the hit's yardstick.
            samples["python -c pass"].append(_bare(env))
            samples["credential-process, cache hit"].append(_timed(program, env, "credential-process", "staging", "admin"))
            samples["--help"].append(_timed(program, env, "--help"))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    print("| helper | median |\n|---|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
