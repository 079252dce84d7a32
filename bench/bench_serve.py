"""How long an SDK waits for the credential server (``assume-role exec --server``).

    python bench/bench_serve.py [--quick]

Starts the server the way a user does (``exec --server`` against the local
strict emulator, MFA code and all), and from inside the command it runs
measures, as medians:

- one credential request as SDKs send it: a new loopback connection, the GET
  with the token, the answer read (the server checks the token and, through
  /proc/net/tcp, that the socket is the user's own);
- botocore's container credential provider fetching and parsing the same
  document, which is what boto3 and the AWS CLI spend when they renew.

Requests are paced under the server's rate limit (100 a second), so every
sample is an answer rather than a refusal. ``run()`` returns the numbers so
bench/run.py can import this.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugin"))
sys.path.insert(0, str(ROOT / "lab"))

from assume_role_lab.emulator import seed_world, start_emulator  # noqa: E402
from assume_role_lab.emulator.sandbox import write_sandbox  # noqa: E402
from program import compile_package, install  # noqa: E402

# Runs as the served command: measures from where an SDK stands.
MEASURE = r"""
import http.client, json, os, statistics, sys, time
from urllib.parse import urlsplit

samples = int(sys.argv[1])
uri = urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

def request():
    connection = http.client.HTTPConnection(uri.hostname, uri.port, timeout=10)
    connection.request("GET", uri.path, headers={"Authorization": token})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    assert answer.status == 200 and b"AccessKeyId" in body, answer.status

def timed(action):
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        time.sleep(0.02)  # under the rate limit
    return statistics.median(times) * 1000, sorted(times)[int(len(times) * 0.95) - 1] * 1000

import botocore.credentials
provider = botocore.credentials.ContainerProvider()

def botocore_fetch():
    assert provider.load().get_frozen_credentials().access_key

request()
raw, raw_p95 = timed(request)
boto, boto_p95 = timed(botocore_fetch)
print(json.dumps({"request_ms": raw, "request_p95_ms": raw_p95, "botocore_ms": boto, "botocore_p95_ms": boto_p95}))
"""


def run(quick: bool = False) -> dict[str, float]:
    samples = 60 if quick else 300
    compile_package()
    with tempfile.TemporaryDirectory() as tmp, start_emulator() as emulator:
        world = seed_world(emulator.endpoint)
        env = write_sandbox(Path(tmp), world)
        program = install(Path(tmp) / "bin")
        code = emulator.control.mfa_code(world.mfa_serial)
        result = subprocess.run(
            [program, "exec", "--server", "production", "read", code, "--", sys.executable, "-c", MEASURE, str(samples)],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
        )
    if result.returncode != 0:
        raise RuntimeError(f"exec --server failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    print("| credential server | median | 95th percentile |\n|---|---:|---:|")
    print(f"| one request, as SDKs send it | {results['request_ms']:.2f} ms | {results['request_p95_ms']:.2f} ms |")
    print(f"| botocore's container provider | {results['botocore_ms']:.2f} ms | {results['botocore_p95_ms']:.2f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
