"""How the accounts file's size affects the paths that read it: 10 to 100,000 aliases.

    .venv/bin/python bench/bench_scale.py [--quick]

For each size it measures, as medians:

- one Tab in bash, zsh and fish, end to end (the shell's completion function
  and the helper it starts, as in bench_shells.tab_cost): a prefix
  (``assume-role account-0001<Tab>``), every account (``assume-role <Tab>``),
  a role (``assume-role account-00001 <Tab>``), and text found only inside
  aliases (``assume-role ccount-0001<Tab>``) in zsh with a matcher-list entry
  that matches anywhere and in fish (the slowest lookup: a scan of the index);
- the account picker: from starting ``assume-role`` with no argument in a
  terminal until its menu shows the first account, and one key press of
  filtering (the suggestions the menu asks for, in the process);
- what an assume spends on the accounts file: finding one alias (through the
  index once it exists), and the first run after the file changed, which
  builds the index.

Every accounts file is made older than two seconds first, as a file in use
is: a younger one is deliberately not indexed (see accounts_index).
"""

from __future__ import annotations

import json
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

import bench_shells  # noqa: E402
from program import compile_package, install  # noqa: E402

SIZES = (10, 1_000, 10_000, 100_000)
TABS = {"prefix": "assume-role account-0001", "first word": "assume-role ", "role": "assume-role account-00001 "}
# Typed text found only inside aliases: zsh with a matcher-list entry that
# matches anywhere, and fish, whose fuzzy matching then looks inside too.
INSIDE = ("inside", "assume-role ccount-0001", "l:|=* r:|=*")


def _env(tmp: Path, count: int) -> dict[str, str]:
    env = bench_shells._completion_env(str(tmp), count)
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    return env


def _timed_in_process(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def assume_cost(count: int, repeats: int) -> dict[str, float]:
    """Seconds ``accounts.find`` takes for one alias: with the index, and building it."""
    code = f"""
import os, statistics, sys, time
from pathlib import Path
from assume_role import accounts
path = Path(os.environ["ASSUME_ROLE_ACCOUNTS_FILE"])
cold = []
for _ in range({repeats}):
    for index in Path(os.environ["XDG_CACHE_HOME"], "assume-role").glob("accounts-*.idx"):
        index.unlink()
    accounts._last.clear()  # each run is a new process: no view made before
    start = time.perf_counter(); accounts.find("account-00007"); cold.append(time.perf_counter() - start)
warm = []
for _ in range({repeats}):
    accounts._last.clear()
    start = time.perf_counter(); accounts.find("account-00007"); warm.append(time.perf_counter() - start)
print(statistics.median(warm), statistics.median(cold))
"""
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), count)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        warm, cold = map(float, out.stdout.split())
    return {"find": warm, "first after a change": cold}


def picker_cost(count: int, repeats: int) -> dict[str, float]:
    """Seconds until the account menu shows, and for one key press of filtering."""
    import pexpect

    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), count)
        env.update(TERM="xterm-256color", LC_ALL="C.UTF-8", PROMPT_TOOLKIT_NO_CPR="1")
        program = str(install(Path(tmp) / "bin"))
        subprocess.run([program, "__complete", "--", "x"], env=env, check=True,
                       capture_output=True)  # builds the index, as any earlier run would have
        opens = []
        for _ in range(repeats):
            start = time.perf_counter()
            child = pexpect.spawn(program, ["--shell", "bash"], env=env,
                                  dimensions=(40, 120), encoding="utf-8", timeout=60)
            child.expect("account-00000")
            opens.append(time.perf_counter() - start)
            child.sendcontrol("c")
            child.expect(pexpect.EOF)
        code = """
import statistics, sys, time
from assume_role import accounts, interactive
view = accounts.choices()
samples = []
for typed in ("a", "ac", "acc", "account-0", "account-00", "account-004", "account-0042", "x", "42"):
    start = time.perf_counter()
    view.ordered(typed, limit=interactive.MAX_SUGGESTIONS)
    samples.append(time.perf_counter() - start)
print(statistics.median(samples))
"""
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return {"opens": statistics.median(opens), "key press": float(out.stdout)}


def run(quick: bool = False) -> dict:
    compile_package()
    repeats = 3 if quick else 7
    results: dict = {}
    for count in SIZES:
        row: dict[str, float] = {}
        for shell in bench_shells.SHELLS:
            for label, line in TABS.items():
                row[f"tab {shell} {label}"] = bench_shells.tab_cost(shell, count, line, tabs=3 if quick else 5,
                                                                    repeats=repeats) * 1e3
            label, line, matcher = INSIDE
            if shell != "bash":  # bash offers prefixes only
                row[f"tab {shell} {label}"] = bench_shells.tab_cost(shell, count, line, tabs=3 if quick else 5,
                                                                    repeats=repeats, zsh_matcher=matcher) * 1e3
        for name, seconds in picker_cost(count, repeats).items():
            row[f"picker {name}"] = seconds * 1e3
        for name, seconds in assume_cost(count, repeats).items():
            row[f"assume {name}"] = seconds * 1e3
        results[count] = row
        print(f"  {count:>7,} aliases done", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    names = list(next(iter(results.values())))
    print("| ms | " + " | ".join(f"{c:,}" for c in results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{results[c][name]:.1f}" for c in results) + " |")
    if "--json" in argv:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
