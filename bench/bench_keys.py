"""What keeping the bastion's keys in the OS keyring costs, against the local strict emulator.

    python bench/bench_keys.py [--quick]

Prints medians over fresh processes, for the bastion's keys in the
credentials file and in a keyring: keyrings.alt's file (named with
PYTHON_KEYRING_BACKEND) and, where gnome-keyring-daemon and dbus-run-session
are installed, a real Secret Service in a D-Bus session of its own:

- the full MFA flow, which reads the secret (keyring imported);
- a role switch on the stored MFA session, which needs only the key id
  (the keyring's index is read; keyring is not imported);
- ``keys credential-process``, what ``aws`` waits for with the line
  ``keys add`` suggests;
- in this process, ``key_store.held`` for a profile not in the index: what
  every run pays for the keyring coming first.
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
sys.path.insert(0, str(ROOT / "tests"))

from assume_role_lab.emulator import seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import write_sandbox  # noqa: E402
from bench_core import _timed  # noqa: E402
from program import compile_package, install  # noqa: E402

FILE_KEYRING = "keyrings.alt.file.PlaintextKeyring"


def _secret_service(root: Path):
    """A gnome-keyring Secret Service, or None where it is not installed."""
    if not (shutil.which("gnome-keyring-daemon") and shutil.which("dbus-run-session")):
        return None
    from secret_service import SecretService

    return SecretService(root)


def _forget_sessions(env: dict) -> None:
    """Sessions and remembered devices forgotten, as bench_core does; the keyring's index kept."""
    shutil.rmtree(Path(env["XDG_CACHE_HOME"]) / "assume-role", ignore_errors=True)
    (Path(env["XDG_STATE_HOME"]) / "assume-role" / "mfa-devices.json").unlink(missing_ok=True)


def _measure(program: Path, env: dict, emulator, world, repeats: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"full MFA flow": [], "role switch, MFA session reused": []}
    for _ in range(repeats):
        _forget_sessions(env)
        code = emulator.control.mfa_code(world.mfa_serial)
        samples["full MFA flow"].append(_timed(program, env, "production", "read", code))
        samples["role switch, MFA session reused"].append(_timed(program, env, "--refresh", "staging", "admin"))
    return {name: statistics.median(values) for name, values in samples.items()}


def _credential_process(program: Path, env: dict, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([program, "keys", "credential-process", "default"], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode:
            raise RuntimeError(f"keys credential-process failed: {done.stderr.decode().strip()}")
    return statistics.median(times)


def _index_check(env: dict, repeats: int = 2000) -> float:
    """Seconds key_store.held takes for a profile the index does not name (run in this process)."""
    import os

    from assume_role.state import key_store

    saved = {name: os.environ.get(name) for name in ("XDG_STATE_HOME", "HOME")}
    os.environ.update(XDG_STATE_HOME=env["XDG_STATE_HOME"], HOME=env["HOME"])
    try:
        start = time.perf_counter()
        for _ in range(repeats):
            key_store.held("not-in-the-index")
        return (time.perf_counter() - start) / repeats
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(quick: bool = False) -> dict[str, float]:
    repeats = 5 if quick else 15
    compile_package()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, start_emulator() as emulator:
        program = install(Path(tmp) / "bin")
        service = _secret_service(Path(tmp) / "secret-service")
        keyrings = {"credentials file": {}, "keyrings.alt file": {"PYTHON_KEYRING_BACKEND": FILE_KEYRING}}
        if service is not None:
            keyrings["Secret Service"] = service.client_env()
        try:
            for label, extra in keyrings.items():
                world = seed_world(emulator.endpoint, user_name=f"bench-{len(results)}")
                env = {**write_sandbox(Path(tmp) / label.replace(" ", "-"), world), **extra}
                if extra:
                    added = subprocess.run([program, "keys", "add", "--from-credentials-file"], env=env,
                                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
                    if added.returncode:
                        raise RuntimeError(f"keys add failed: {added.stderr.strip()}")
                for name, seconds in _measure(program, env, emulator, world, repeats).items():
                    results[f"{name}, keys in {label}"] = seconds
                if extra:
                    results[f"keys credential-process, {label}"] = _credential_process(program, env, repeats)
                else:
                    results["keyring index look-up, profile not in it (in process)"] = _index_check(env)
        finally:
            if service is not None:
                service.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    print("| keys | median |\n|---|---:|")
    for name, seconds in results.items():
        shown = f"{seconds * 1e6:.0f} µs" if seconds < 0.001 else f"{seconds * 1000:.0f} ms"
        print(f"| {name} | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
