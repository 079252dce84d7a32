"""An IAM Identity Center role switch: assume-role beside boto3 with an SSO profile, in one run.

    python bench/bench_sso.py [--quick]

Both read the same valid sign-in in ``~/.aws/sso/cache`` (written the way
``aws sso login`` writes it) and make the same one request, GetRoleCredentials,
against the same emulator; each measurement is a median over fresh
processes:

- assume-role: ``assume-role --refresh production ReadOnlyAccess``, printing the
  shell code a shell evaluates;
- boto3: a process that opens a session with the profile
  (``sso_session``, ``sso_account_id``, ``sso_role_name``) and gets its
  credentials, as any script using that profile does first;
- assume-role's cache hit (no request) and ``python -c pass``, for scale.

``run()`` returns the numbers for bench/run.py.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT / "lab"))

from assume_role_lab.emulator import seed_identity_center, seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import add_sso_profile, write_sandbox  # noqa: E402
from program import compile_package, install  # noqa: E402

BOTO3 = ("import boto3; boto3.Session(profile_name='prod-ro').get_credentials().get_frozen_credentials()")


def _sign_in(emulator, sso, env: dict) -> None:
    """What ``aws sso login`` leaves behind: an approved device flow's token in botocore's cache."""
    import boto3
    from botocore.tokens import _sso_json_dumps
    from botocore.utils import JSONFileCache, SSOTokenLoader

    oidc = boto3.session.Session(region_name=sso.region).client("sso-oidc", endpoint_url=emulator.endpoint)
    client = oidc.register_client(clientName="bench", clientType="public", scopes=["sso:account:access"])
    device = oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                             startUrl=sso.start_url)
    emulator.control.sso_approve(device["userCode"])
    issued = oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                               grantType="urn:ietf:params:oauth:grant-type:device_code",
                               deviceCode=device["deviceCode"])
    token = {"startUrl": sso.start_url, "region": sso.region, "accessToken": issued["accessToken"],
             "expiresAt": datetime.now(timezone.utc) + timedelta(seconds=issued["expiresIn"])}
    cache = JSONFileCache(str(Path(env["HOME"]) / ".aws" / "sso" / "cache"), dumps_func=_sso_json_dumps)
    SSOTokenLoader(cache=cache).save_token(sso.start_url, token, session_name="corp")


def _timed(command: list, env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command[:4]))} failed: {result.stderr.strip()[-300:]}")
    return elapsed


def run(quick: bool = False) -> dict[str, float]:
    repeats = 5 if quick else 15
    compile_package()
    samples: dict[str, list[float]] = {"assume-role": [], "boto3": [], "assume-role, cache hit": [],
                                       "python -c pass": []}
    with tempfile.TemporaryDirectory() as tmp, start_emulator() as emulator:
        world = seed_world(emulator.endpoint)
        sso = seed_identity_center(emulator.endpoint, world)
        env = add_sso_profile(write_sandbox(Path(tmp), world), sso)
        config = Path(env["AWS_CONFIG_FILE"])
        config.write_text(config.read_text() + "\n[profile prod-ro]\nsso_session = corp\n"
                          "sso_account_id = 111111111111\nsso_role_name = ReadOnlyAccess\nregion = us-east-1\n")
        _sign_in(emulator, sso, env)
        ours = [install(Path(tmp) / "bin"), "--shell", "bash"]
        emulator.control.reset()
        for _ in range(repeats):
            samples["assume-role"].append(_timed([*ours, "--refresh", "production", "ReadOnlyAccess"], env))
            samples["boto3"].append(_timed([sys.executable, "-c", BOTO3], env))
            samples["assume-role, cache hit"].append(_timed([*ours, "production", "ReadOnlyAccess"], env))
            samples["python -c pass"].append(_timed([sys.executable, "-c", "pass"], env))
        calls = emulator.control.calls()
        # One GetRoleCredentials each, and nothing else: the same work on both sides.
        if calls != {"GetRoleCredentials": 2 * repeats}:
            raise RuntimeError(f"unexpected requests: {calls}")
    return {name: statistics.median(values) for name, values in samples.items()}


def markdown(results: dict[str, float]) -> str:
    ours, boto3 = results["assume-role"], results["boto3"]
    return (
        "| IAM Identity Center, valid sign-in | median |\n|---|---:|\n"
        f"| boto3 with an SSO profile: credentials (one GetRoleCredentials) | {boto3 * 1000:.0f} ms |\n"
        f"| assume-role: role switch (one GetRoleCredentials) | {ours * 1000:.0f} ms "
        f"({ours / boto3:.2f}× boto3) |\n"
        f"| assume-role: cache hit (no request) | {results['assume-role, cache hit'] * 1000:.0f} ms |\n"
        f"| `python -c pass` | {results['python -c pass'] * 1000:.0f} ms |\n"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(markdown(run(quick="--quick" in argv)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
