"""assume-role and awsume side by side, on the same strict emulator, in the same run.

    python bench/bench_peers.py [--quick]

awsume is installed from PyPI into its own virtual environment (under
``$XDG_CACHE_HOME/assume-role-bench``, reused by later runs), so it never
touches the project's environment. Both tools get the same bastion user, the
same roles and the same emulator; each measurement is a median over fresh
processes started the way a shell starts them.

- cold flow: no stored session; GetSessionToken with a code, then AssumeRole
  (assume-role also looks up the user and the MFA device on its first run);
- role switch: the MFA session is reused, one AssumeRole;
- cache hit: stored role credentials (awsume keeps none, so only ours);
- ``python -c pass``: the interpreter's own start-up, the floor.

``run()`` returns the numbers for bench/run.py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT / "lab"))

from assume_role_lab.emulator import seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import write_sandbox  # noqa: E402
from program import compile_package, install, settle  # noqa: E402

AWSUME = "awsume==4.5.4"


def awsume_python() -> Path:
    """The awsume venv's python, created and filled on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assume-role-bench"
    home = cache / "awsume-venv"
    python = home / "bin" / "python"
    marker = home / f".installed-{AWSUME}"
    if not marker.exists():
        shutil.rmtree(home, ignore_errors=True)
        venv.create(home, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", AWSUME], check=True)
        marker.touch()
    return python


def _awsume_profiles(env: dict, world) -> None:
    """awsume reads role profiles from ~/.aws/config: one per account and role."""
    lines = [f"[default]\nregion = {world.region}\nmfa_serial = {world.mfa_serial}\n"]
    for alias, account_id in world.accounts.items():
        for role in world.roles:
            lines.append(
                f"[profile {alias}-{role}]\nrole_arn = arn:aws:iam::{account_id}:role/{role}\n"
                f"source_profile = default\nmfa_serial = {world.mfa_serial}\nexternal_id = {account_id}\n"
                f"region = {world.region}\nrole_session_name = {world.user_name}\n"
            )
    Path(env["AWS_CONFIG_FILE"]).write_text("\n".join(lines))


def _timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {result.stderr.strip()[-300:]}")
    return elapsed


def _forget(env: dict) -> None:
    for path in (Path(env["XDG_CACHE_HOME"]) / "assume-role", Path(env["XDG_STATE_HOME"]) / "assume-role",
                 Path(env["HOME"]) / ".awsume" / "cache"):
        shutil.rmtree(path, ignore_errors=True)


def run(quick: bool = False) -> dict[str, dict[str, float]]:
    repeats = 5 if quick else 15
    compile_package()
    awsume = [str(awsume_python()), "-m", "awsume.awsumepy.main"]
    names = ("cold flow", "role switch", "cache hit", "python -c pass")
    samples = {tool: {name: [] for name in names} for tool in ("assume-role", "awsume")}
    with tempfile.TemporaryDirectory() as tmp, start_emulator() as emulator:
        world = seed_world(emulator.endpoint)
        env = write_sandbox(Path(tmp), world)
        ours = [str(install(Path(tmp) / "bin")), "--shell", "bash"]
        _awsume_profiles(env, world)
        settle(env)  # the AWS files as old as a person's (see program.settle)
        code = lambda: emulator.control.mfa_code(world.mfa_serial)  # noqa: E731
        # awsume writes its config.yaml on the first run; keep that out of the samples.
        _timed([*awsume, "production-read", "--mfa-token", code(), "-s"], env)
        for _ in range(repeats):
            _forget(env)
            samples["assume-role"]["cold flow"].append(_timed([*ours, "production", "read", code()], env))
            samples["awsume"]["cold flow"].append(
                _timed([*awsume, "production-read", "--mfa-token", code(), "-s"], env))
            samples["assume-role"]["role switch"].append(_timed([*ours, "--refresh", "staging", "admin"], env))
            samples["awsume"]["role switch"].append(_timed([*awsume, "staging-admin", "-s"], env))
            samples["assume-role"]["cache hit"].append(_timed([*ours, "staging", "admin"], env))
            samples["assume-role"]["python -c pass"].append(_timed([sys.executable, "-c", "pass"], env))
    return {tool: {name: statistics.median(v) for name, v in by_name.items() if v}
            for tool, by_name in samples.items()}


def markdown(results: dict[str, dict[str, float]]) -> str:
    ours, theirs = results["assume-role"], results["awsume"]
    lines = ["| path, side by side | awsume 4.5.4 | assume-role | ratio |", "|---|---:|---:|---:|"]
    for name, seconds in ours.items():
        other = theirs.get(name)
        if other:
            lines.append(f"| {name} | {other * 1000:.0f} ms | {seconds * 1000:.0f} ms | {seconds / other:.2f}× |")
        else:
            lines.append(f"| {name} | – | {seconds * 1000:.0f} ms | – |")
    floor = ours["python -c pass"]
    lines.append(f"\nThe cache hit is {ours['cache hit'] / floor:.2f}× `python -c pass`.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(markdown(run(quick="--quick" in argv)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
