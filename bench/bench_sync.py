"""What ``accounts sync`` spends choosing aliases for an organisation's accounts: 10 to 100,000.

    .venv/bin/python bench/bench_sync.py [--quick]

For each size of the growth table (bench_scale.SIZES), the median time of
``org_sync.plan`` adding that many new accounts to an empty accounts file:

- with distinct names (``Account 1``, ``Account 2``, ...);
- all with one name (``Sandbox``), which get ``sandbox``, ``sandbox-2``, ...

No AWS and no files: the listing has arrived, and this is the work done on it
before the file is written. It runs in this process: ``plan`` is pure.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "plugin"))

from bench_scale import SIZES  # noqa: E402

from assume_role import subcommands  # noqa: E402
from assume_role.accounts.sync import OrgAccount, plan  # noqa: E402

CASES = {
    "sync distinct": lambda n: f"Account {n}",
    "sync one name": lambda n: "Sandbox",
}


def plan_cost(count: int, name_of, repeats: int) -> float:
    """Seconds ``plan`` takes to give aliases to ``count`` new accounts named ``name_of(n)``."""
    listed = [OrgAccount(f"{100000000000 + n:012d}", name_of(n), "ACTIVE") for n in range(count)]
    forbidden = set(subcommands.BY_NAME)  # as commands.accounts gives it
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = plan({}, listed, prune=False, forbidden=forbidden)
        samples.append(time.perf_counter() - start)
        assert len(result.added) == count
    return statistics.median(samples)


def run(quick: bool = False) -> dict:
    """{size: {case: milliseconds}} for every size of the growth table."""
    repeats = 3 if quick else 7
    return {count: {case: plan_cost(count, name_of, repeats) * 1e3 for case, name_of in CASES.items()}
            for count in SIZES}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    print("| ms | " + " | ".join(f"{c:,}" for c in results) + " |")
    print("|---|" + "---:|" * len(results))
    for case in CASES:
        print(f"| {case} | " + " | ".join(f"{results[c][case]:.1f}" for c in results) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
