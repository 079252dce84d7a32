"""Every benchmark in one run, as one markdown table, with the machine it ran on.

    .venv/bin/python bench/run.py [--quick] [--update-readme]

Runs the helper benchmarks (bench_core: the full MFA flow, a role switch
reusing the MFA session, a cache hit, --help), the credential server
(bench_serve: one request as an SDK sends it) and the shell benchmarks
(bench_shells: completion with 10 and 10,000 aliases, the prompt segment and
the auto-refresh check in each shell), the start-up benchmarks (bench_startup:
what the README's line for each shell adds to a new shell), assume-role beside
awsume on the same emulator (bench_peers), an IAM Identity Center role switch
beside boto3 with an SSO profile (bench_sso) and the scale benchmarks
(bench_scale: Tab, the picker and an assume with 10 to 100,000 aliases;
bench_sync: the aliases ``accounts sync`` makes for as many accounts) one
after the other on the same machine, then prints tables of medians and a
description of the machine. --update-readme also writes them
into README.md between its bench markers.

Times are wall-clock medians over fresh processes, interpreter start-up
included, against the local strict emulator on loopback: they compare the
paths with each other, not with real AWS, where each call adds a round trip.

Run it with the project's virtual environment's interpreter, as above (made
by ``bash .ci/venv demo``), which is how the README installs the tool: the
benchmarks start the program with the interpreter that runs them, and a
system python3 may load site-packages ``.pth`` hooks that add tens of
milliseconds to every start. The machine description names the interpreter
and its bare start-up.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

README = ROOT / "README.md"

from bench_startup import EVAL_FORM  # noqa: E402
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def rows(core: dict, shells: dict, startup: dict | None = None, serve: dict | None = None) -> list[tuple[str, str, str]]:
    """(what, median, note) for every measurement, in reading order."""
    table = [
        ("full MFA flow", _ms(core["full MFA flow"]),
         "empty cache: GetCallerIdentity, ListMFADevices, GetSessionToken, AssumeRole"),
        ("role switch, MFA session reused", _ms(core["role switch, MFA session reused"]),
         "one AssumeRole, no MFA code"),
        ("cache hit", _ms(core["cache hit"]),
         "stored role credentials: no AWS call, no botocore; "
         f"{core['cache hit'] * 1000 / shells['python_startup_ms']:.1f}x `python -c pass`"),
        ("credential-process, cache hit", _ms(core["credential-process, cache hit"]),
         "what an SDK waits for with a `credential_process` profile"),
    ]
    if serve:
        table += [
            ("credential server, one request", f"{serve['request_ms']:.1f} ms",
             "what an SDK waits for with `exec --server` or a served shell: a new loopback connection, "
             f"token and own-user checks, the answer (95th percentile {serve['request_p95_ms']:.1f} ms)"),
            ("credential server, botocore", f"{serve['botocore_ms']:.1f} ms",
             "botocore's container provider fetching and reading the same answer"),
        ]
    completion = shells["completion_ms"]
    for count in ("10", "10,000"):
        key = count.replace(",", "")
        table += [
            (f"completion, {count} aliases: account", f"{completion[f'{key} aliases, first word']:.0f} ms",
             "`assume-role <Tab>`, every alias (zsh form)"),
            (f"completion, {count} aliases: role", f"{completion[f'{key} aliases, role']:.0f} ms",
             "`assume-role account-00001 <Tab>`"),
            (f"completion, {count} aliases: bash prefix", f"{completion[f'{key} aliases, bash prefix']:.0f} ms",
             "`assume-role account-0001<Tab>` in bash"),
        ]
    for what, times, processes, per in (("prompt segment", "segment_us", "forks_per_prompt", "per prompt"),
                                        ("auto-refresh check", "refresh_us", "forks_per_command",
                                         "per command while time remains")):
        for shell, micros in shells[times].items():
            forks = shells[processes].get(shell)
            if forks is None:
                proof = f"{per} (strace not installed: processes not counted)"
            else:
                proof = f"{per}; {forks:g} processes started"
            table.append((f"{what}, {shell}", f"{micros:.0f} µs", proof))
    for shell, added in (startup or {}).get("readme", {}).items():
        table.append((
            f"start-up, {shell}: README line", f"+{added:.1f} ms",
            f"`{shell} -i -c exit` with the install table's line minus without it; "
            f"`{EVAL_FORM[shell]}` at every start adds {startup['eval'][shell]:.0f} ms",
        ))
    table += [
        ("`--help`", _ms(core["--help"]), "no AWS library loaded"),
        ("`python -c pass`", f"{shells['python_startup_ms']:.0f} ms",
         "interpreter start-up, the floor under every row in ms"),
    ]
    return table


def markdown(table: list[tuple[str, str, str]]) -> str:
    lines = ["| measurement | median | what it covers |", "|---|---:|---|"]
    # A | inside a cell, as in `init fish | source`, would end the cell.
    lines += [f"| {what} | {median} | {note.replace('|', chr(92) + '|')} |" for what, median, note in table]
    return "\n".join(lines) + "\n"


# What bench_scale measures, as the growth table shows it.
SCALE_ROWS = [
    *((f"tab {shell} {case}", f"Tab, {shell}: {label}") for shell in ("bash", "zsh", "fish")
      for case, label in (("prefix", "`account-0001`"), ("first word", "every account"), ("role", "a role"))),
    ("tab zsh inside", "Tab, zsh, matching inside aliases: `ccount-0001`"),
    ("tab fish inside", "Tab, fish: `ccount-0001` (fuzzy)"),
    ("picker opens", "account picker: start to menu shown"),
    ("picker key press", "account picker: filtering one key press"),
    ("assume find", "assume: reading one entry"),
    ("assume first after a change", "assume: first run after the file changed (builds the index)"),
    ("sync distinct", "accounts sync: aliases for N new accounts, distinct names"),
    ("sync one name", "accounts sync: aliases for N new accounts, all one name"),
]


def scale_markdown(scale: dict) -> str:
    """The growth table: one row per path, one column per number of aliases."""
    sizes = list(scale)
    lines = ["| ms, median, with N aliases | " + " | ".join(f"{n:,}" for n in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    for key, label in SCALE_ROWS:
        lines.append(f"| {label} | " + " | ".join(_scaled(scale[n][key]) for n in sizes) + " |")
    return "\n".join(lines) + "\n"


def _scaled(millis: float) -> str:
    return f"{millis:.1f}" if millis < 10 else f"{millis:.0f}"


def _first_line(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, kernel {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def machine(python_startup_ms: float | None = None) -> str:
    """One paragraph: CPU, cores, OS, the interpreter and its start-up, shell versions, date."""
    versions = []
    for shell, command in (("bash", ["bash", "-c", "echo $BASH_VERSION"]), ("zsh", ["zsh", "--version"]),
                           ("fish", ["fish", "--version"])):
        found = _first_line(command)
        if found:
            number = re.search(r"\d+(\.\d+)+", found)
            versions.append(f"{shell} {number.group(0) if number else found}")
    try:
        from importlib.metadata import version

        moto = f", moto {version('moto')}"
    except Exception:
        moto = ""
    cores = os.cpu_count() or "?"
    # Other work on the machine slows every row alike; the load says how much.
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    startup = f", `python -c pass` {python_startup_ms:.0f} ms" if python_startup_ms is not None else ""
    return (
        f"Machine: {_cpu_model()}, {cores} cores{load}, {_os_name()}; "
        f"Python {platform.python_version()} ({_interpreter()}{startup}); "
        f"{', '.join(versions) or 'no shells found'}{moto}; "
        f"{datetime.date.today().isoformat()}.\n"
    )


def _interpreter() -> str:
    """The interpreter that ran the benchmarks, and the program in them; relative when in the checkout."""
    path = Path(sys.executable)
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def update_readme(text: str, path: Path = README) -> None:
    readme = path.read_text()
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    path.write_text(readme[:start] + "\n" + text + readme[end:])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    import bench_core
    import bench_peers
    import bench_scale
    import bench_serve
    import bench_shells
    import bench_sso
    import bench_startup
    import bench_sync

    print("running the helper benchmarks...", file=sys.stderr, flush=True)
    core = bench_core.run(quick)
    print("running the credential server benchmark...", file=sys.stderr, flush=True)
    serve = bench_serve.run(quick)
    print("running the shell benchmarks...", file=sys.stderr, flush=True)
    shells = bench_shells.run(quick)
    print("running the start-up benchmarks...", file=sys.stderr, flush=True)
    startup = bench_startup.run(quick)
    print("running assume-role and awsume side by side...", file=sys.stderr, flush=True)
    peers = bench_peers.run(quick)
    print("running an IAM Identity Center role switch beside boto3...", file=sys.stderr, flush=True)
    sso = bench_sso.run(quick)
    print("running the scale benchmarks...", file=sys.stderr, flush=True)
    scale = bench_scale.run(quick)
    for count, row in bench_sync.run(quick).items():
        scale[count].update(row)
    text = (markdown(rows(core, shells, startup, serve)) + "\n" + bench_peers.markdown(peers) + "\n"
            + bench_sso.markdown(sso) + "\n" + scale_markdown(scale) + "\n" + machine(shells["python_startup_ms"]))
    print(text, end="")
    if "--update-readme" in argv:
        update_readme(text)
        print(f"updated {README.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
