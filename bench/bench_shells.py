"""Benchmarks for the shell plugins: prompt segment cost and completion time.

    python bench/bench_shells.py [--quick]

Prints medians for:

- the per-prompt cost of the segment in bash, zsh and fish: the prompt hook
  plus the expansion of the prompt, timed over a loop inside the shell, minus
  the same loop doing nothing;
- the processes each prompt starts (fork, vfork, clone without
  CLONE_THREAD, execve), counted with strace over the same loop: the count
  for N prompts minus the count for none, which is 0 when nothing forks;
- the same two for the auto-refresh check each shell runs before a command,
  while the role has time left;
- the time `assume-role __complete` takes with 10 and with 10,000 account
  aliases, for the first word (every alias) and for a role.

The functions return numbers so that a wider benchmark runner can import
this module; ``main()`` prints them.
"""

from __future__ import annotations

import json
import os
import re
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

from program import PLUGIN_DIR, compile_package, install  # noqa: E402

SHELLS = ("bash", "zsh", "fish")

LOAD = {
    "bash": f"source '{ROOT / 'bash' / 'assume-role.bash'}'\nPS1='\\u@\\h:\\w\\$ '\n",
    "zsh": f"source '{ROOT / 'zsh' / 'assume-role.plugin.zsh'}'\nPROMPT='%n@%m:%~%# '\n",
    "fish": "".join(f"source '{p}'\n" for p in sorted((ROOT / "fish").glob("*/*.fish"))),
}

# What the shell does for the segment before each prompt: run the hook, then
# expand the prompt string the way the shell is about to draw it.
PROMPT_WORK = {
    "bash": '_assume_role_prompt_command; _p="${PS1@P}"',
    "zsh": "_assume_role_precmd; _p=${(%)RPROMPT}",
    "fish": "set _p (assume_role_prompt)",
}


# What the auto-refresh hook does before each command while the role has time
# left (the environment below gives it 42 minutes): bash's DEBUG trap armed by
# the prompt, zsh's preexec function, fish's fish_preexec handler.
REFRESH_WORK = {
    "bash": '_assume_role_refresh_armed=1; _assume_role_refresh_trap "$_"',
    "zsh": "_assume_role_refresh",
    "fish": "__assume_role_refresh",
}


def _loop(shell: str, iterations: int, body: str) -> str:
    if shell == "fish":
        # Builtins only (no `seq`), so the loop itself starts no process.
        return f"set -l i 0\nwhile test $i -lt {iterations}\n set i (math $i + 1)\n {body}\nend\n"
    return f"for ((i = 0; i < {iterations}; i++)); do\n {body}\ndone\n"


def _script(shell: str, iterations: int, body: str) -> str:
    return LOAD[shell] + _loop(shell, iterations, body)


def _env() -> dict[str, str]:
    return {
        "HOME": tempfile.gettempdir(),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "AWS_ACCOUNT_NAME": "production",
        "AWS_ACCOUNT_ROLE": "read",
        "ASSUME_ROLE_EXPIRES_AT": str(int(time.time()) + 2520),
        # The keys assume-role exported are still in place: the segment is drawn.
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "ASSUME_ROLE_ACCESS_KEY_ID": "ASIAEXAMPLE",
    }


def _command(shell: str, script: str) -> list[str]:
    if shell == "fish":
        return ["fish", "--no-config", "-c", script]
    if shell == "zsh":
        return ["zsh", "-f", "-c", script]
    return ["bash", "--norc", "--noprofile", "-c", script]


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def segment_cost(shell: str, iterations: int = 2000, repeats: int = 5, work: dict[str, str] = PROMPT_WORK) -> float:
    """Median seconds the segment (or other ``work``) adds to one prompt in ``shell``."""
    env = _env()
    work = _command(shell, _script(shell, iterations, work[shell]))
    idle = _command(shell, _script(shell, iterations, ":" if shell != "fish" else "true"))
    samples = []
    for _ in range(repeats):
        samples.append((_timed(work, env) - _timed(idle, env)) / iterations)
    return statistics.median(samples)


_SPAWN = re.compile(r"\b(fork|vfork|clone|clone3|execve)\(")


def _spawns(command: list[str], env: dict[str, str]) -> int:
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as log:
        subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=fork,vfork,clone,clone3,execve", "-o", log.name, *command],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Threads are not processes: fish starts worker threads on its own.
        return sum(1 for line in log if _SPAWN.search(line) and "CLONE_THREAD" not in line)


def forks_per_prompt(shell: str, iterations: int = 500, work: dict[str, str] = PROMPT_WORK) -> float | None:
    """Processes started per prompt (0.0 proves the segment forks nothing); None without strace."""
    if not shutil.which("strace"):
        return None
    env = _env()
    base = _spawns(_command(shell, _script(shell, 0, work[shell])), env)
    loaded = _spawns(_command(shell, _script(shell, iterations, work[shell])), env)
    return (loaded - base) / iterations


def _accounts(count: int) -> dict:
    accounts = {}
    for n in range(count):
        alias = f"account-{n:05d}"
        account_id = f"{100000000000 + n:012d}"
        accounts[alias] = {"id": account_id, "roles": ["read", "admin"]} if n % 2 else account_id
    return accounts


def completion_cost(aliases: int, words: tuple[str, ...] = ("",), shell: str = "zsh", repeats: int = 11) -> float:
    """Median seconds for one `assume-role __complete` run, interpreter start-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _completion_env(tmp, aliases)
        command = [str(install(Path(tmp) / "bin")), "__complete", "--shell", shell, "--", *words]
        _timed(command, env)  # warm the page cache, and build the accounts index as the first Tab does
        return statistics.median(_timed(command, env) for _ in range(repeats))


# One Tab in each shell, minus what needs a terminal: bash runs its completion
# function with readline's variables set; fish completes a command line with
# `complete -C`; zsh runs _assume-role with compadd and _wanted replaced by
# functions that do nothing (compadd itself is a builtin that only works
# inside the line editor; adding 10,000 matches costs it a few ms).
TAB = {
    "bash": (
        "COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; read -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
        "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n",
        "_assume_role_complete",
    ),
    "fish": ("", "complete -C{line!r} >/dev/null"),
    "zsh": (
        "autoload -Uz _assume-role; compadd() {{ : }}; _wanted() {{ : }}; _message() {{ : }}\n"
        "words=(${{(z)${{:-{line!r}}}}}); [[ {line!r} == *' ' ]] && words+=('')\n"
        "CURRENT=$#words; PREFIX=$words[-1]\n",
        "_assume-role || :",  # no match is a result too
    ),
}


def tab_cost(shell: str, aliases: int, line: str, tabs: int = 10, repeats: int = 5, zsh_matcher: str = "") -> float:
    """Median seconds for one Tab on ``line`` in ``shell``, helper included.

    ``zsh_matcher``: the matcher-list entry zsh is trying (none: prefixes only).
    """
    setup, body = (part.format(line=line) for part in TAB[shell])
    if shell == "zsh" and zsh_matcher:
        setup += f"_matcher='{zsh_matcher}'\n"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**_completion_env(tmp, aliases), "TERM": "xterm-256color"}
        env["ASSUME_ROLE_COMMAND"] = str(install(Path(tmp) / "bin"))
        # fish loads a command's completions only when the command is on PATH, as it is for a user.
        env["PATH"] = f"{Path(tmp) / 'bin'}:{env['PATH']}"
        if shell == "zsh":
            load = f"fpath=('{ROOT / 'zsh'}' $fpath)\n"
        elif shell == "fish":
            load = f"set fish_complete_path '{ROOT / 'fish' / 'completions'}' $fish_complete_path\n"
        else:
            load = LOAD["bash"]
        work = _command(shell, load + setup + _loop(shell, tabs, body))
        idle = _command(shell, load + setup + _loop(shell, 0, body))
        _timed(work, env)
        samples = [(_timed(work, env) - _timed(idle, env)) / tabs for _ in range(repeats)]
        return statistics.median(samples)


def _completion_env(tmp: str, aliases: int) -> dict[str, str]:
    accounts = Path(tmp) / "accounts"
    accounts.write_text(json.dumps(_accounts(aliases)))
    # A file in use is older than this; a younger one is not indexed (see accounts_index).
    old = time.time() - 60
    os.utime(accounts, (old, old))
    return {
        "HOME": tmp,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PLUGIN_DIR),
        "ASSUME_ROLE_ACCOUNTS_FILE": str(accounts),
        "XDG_STATE_HOME": str(Path(tmp) / "state"),
    }


def interpreter_startup(repeats: int = 11) -> float:
    """Median seconds for a bare `python -c pass`, the floor under completion."""
    return statistics.median(_timed([sys.executable, "-c", "pass"], {}) for _ in range(repeats))


def run(quick: bool = False) -> dict:
    compile_package()
    iterations = 300 if quick else 2000
    repeats = 3 if quick else 5
    results: dict = {"segment_us": {}, "forks_per_prompt": {}, "refresh_us": {}, "forks_per_command": {},
                     "completion_ms": {}}
    for shell in SHELLS:
        if not shutil.which(shell):
            continue
        results["segment_us"][shell] = segment_cost(shell, iterations, repeats) * 1e6
        results["forks_per_prompt"][shell] = forks_per_prompt(shell, 100 if quick else 500)
        results["refresh_us"][shell] = segment_cost(shell, iterations, repeats, REFRESH_WORK) * 1e6
        results["forks_per_command"][shell] = forks_per_prompt(shell, 100 if quick else 500, REFRESH_WORK)
    for count in (10, 10_000):
        results["completion_ms"][f"{count} aliases, first word"] = completion_cost(count, ("",)) * 1e3
        results["completion_ms"][f"{count} aliases, role"] = completion_cost(count, ("account-00001", "")) * 1e3
        results["completion_ms"][f"{count} aliases, bash prefix"] = (
            completion_cost(count, ("account-0001",), shell="bash") * 1e3
        )
    results["tab_ms"] = {}
    for shell in SHELLS:
        if not shutil.which(shell):
            continue
        for count in (10, 10_000):
            for label, line in (("first word", "assume-role "), ("prefix", "assume-role account-0000"), ("role", "assume-role account-00001 ")):
                key = f"{shell:4} {count:>6} aliases, {label}"
                results["tab_ms"][key] = tab_cost(shell, count, line, tabs=5 if quick else 10, repeats=3 if quick else 5) * 1e3
    results["python_startup_ms"] = interpreter_startup() * 1e3
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = run(quick="--quick" in argv)
    print("prompt segment, per prompt (median):")
    for shell, micros in results["segment_us"].items():
        forks = results["forks_per_prompt"][shell]
        proof = "strace unavailable" if forks is None else f"{forks:g} processes started per prompt"
        print(f"  {shell:5} {micros:8.1f} us   {proof}")
    print("auto-refresh check, per command while time remains (median):")
    for shell, micros in results["refresh_us"].items():
        forks = results["forks_per_command"][shell]
        proof = "strace unavailable" if forks is None else f"{forks:g} processes started per command"
        print(f"  {shell:5} {micros:8.1f} us   {proof}")
    print("completion, one `assume-role __complete` run (median):")
    for case, millis in results["completion_ms"].items():
        print(f"  {case:32} {millis:7.1f} ms")
    print(f"  {'(python -c pass, for reference)':32} {results['python_startup_ms']:7.1f} ms")
    print("one Tab in the shell, helper included (median):")
    for case, millis in results["tab_ms"].items():
        print(f"  {case:32} {millis:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
