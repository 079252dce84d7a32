"""What each README line costs a new shell: start-up with it minus without it.

    python bench/bench_startup.py [--quick]

For bash, zsh and fish, the line the README's install table gives that shell
is put in a start-up file in a sandbox home, and the median time of
`SHELL -i -c exit` is measured with that file and with an empty one. The
line runs `assume-role init` once first (as in a new shell the first time),
which writes the stable link; every measured start then loads the plugin
through it. The `eval "$(assume-role init SHELL)"` form, which runs Python at
every start, is measured the same way for comparison.

``rc_lines()`` is also what the tests run: the README's lines, as written.
"""

from __future__ import annotations

import os
import re
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

# The per-start form, for comparison: Python runs at every shell start.
EVAL_FORM = {
    "bash": 'eval "$(assume-role init bash)"',
    "zsh": 'eval "$(assume-role init zsh)"',
    "fish": "assume-role init fish | source",
}


def rc_lines(readme: Path = ROOT / "README.md") -> dict[str, str]:
    """The line the README's install table gives bash, zsh and fish, unescaped."""
    found = {}
    for shell in SHELLS:
        match = re.search(rf"^\| {shell} \| `(.+?)` to `", readme.read_text(), re.M)
        if match:
            found[shell] = match.group(1).replace("\\|", "|")
    return found


def sandbox(root: Path) -> dict[str, str]:
    """A home with no start-up files of the user's, and the program on PATH."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    install(root / "bin")
    return {
        "HOME": str(home),
        "PATH": f"{root / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(PLUGIN_DIR),
        "TERM": "dumb",
        "LANG": "C.UTF-8",
        "ZDOTDIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }


def write_rc(shell: str, env: dict[str, str], text: str) -> None:
    home = Path(env["HOME"])
    path = {
        "bash": home / ".bashrc",
        "zsh": home / ".zshrc",
        "fish": home / ".config" / "fish" / "config.fish",
    }[shell]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n" if text else "")


def start(shell: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """One interactive shell that reads its start-up file and exits."""
    return subprocess.run(
        [shell, "-i", "-c", "exit"], env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )


def _median_ms(shell: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        start(shell, env)
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000


def added_ms(shell: str, line: str, runs: int) -> float:
    """Median start-up with ``line`` minus median start-up without it, in ms."""
    with tempfile.TemporaryDirectory(prefix="ar-startup-") as tmp:
        env = sandbox(Path(tmp))
        write_rc(shell, env, line)
        start(shell, env)  # the first start writes the stable link
        # Interleaved, so a change in machine load hits both sides alike.
        with_line, without = [], []
        empty = dict(env, HOME=str(Path(tmp) / "empty"), ZDOTDIR=str(Path(tmp) / "empty"),
                     XDG_CONFIG_HOME=str(Path(tmp) / "empty" / ".config"))
        Path(empty["HOME"]).mkdir()
        write_rc(shell, empty, "")
        for _ in range(runs):
            with_line.append(_median_ms(shell, env, 1))
            without.append(_median_ms(shell, empty, 1))
        return statistics.median(with_line) - statistics.median(without)


def run(quick: bool = False) -> dict[str, dict[str, float]]:
    """{"readme": {shell: ms}, "eval": {shell: ms}} for every shell installed."""
    import shutil

    compile_package()
    runs = 15 if quick else 61
    lines = rc_lines()
    result: dict[str, dict[str, float]] = {"readme": {}, "eval": {}}
    for shell in SHELLS:
        if not shutil.which(shell) or shell not in lines:
            continue
        result["readme"][shell] = added_ms(shell, lines[shell], runs)
        result["eval"][shell] = added_ms(shell, EVAL_FORM[shell], runs)
    return result


def main() -> int:
    figures = run("--quick" in sys.argv)
    for shell, ms in figures["readme"].items():
        print(f"{shell}: README line +{ms:.1f} ms, eval form +{figures['eval'][shell]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
