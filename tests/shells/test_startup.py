"""The README's install lines, as written, in real interactive shells.

The bash, zsh and fish lines load the plugin through the stable link without
running the helper, run `assume-role init` only when the link is missing or
broken (which mends it), and can be run twice. The oh-my-zsh line can be run
again without an error or a stray link.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, require, sandbox_env, write_helper

_spec = importlib.util.spec_from_file_location("bench_startup", ROOT / "bench" / "bench_startup.py")
bench_startup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_startup)

README_LINES = bench_startup.rc_lines()
PROBE = {
    "bash": "type -t assume-role; type -t assume_role_ps1",
    "zsh": "print -r -- ${(k)functions[assume-role]:+function} ${(k)functions[assume_role_prompt_info]:+function}",
    "fish": "functions -q assume-role; and echo function; functions -q assume_role_prompt; and echo function",
}
# What bash says when it is interactive without a terminal.
NO_TTY = ("cannot set terminal process group", "no job control in this shell")


def test_readme_has_a_line_per_shell():
    assert sorted(README_LINES) == ["bash", "fish", "zsh"]
    for line in README_LINES.values():
        assert "~/.local/share/assume-role/" in line and "assume-role init" in line


def _home(tmp_path: Path) -> dict[str, str]:
    env = sandbox_env(tmp_path)
    # The README's lines name ~/.local/share, the default XDG data directory.
    del env["XDG_DATA_HOME"]
    return env


def start(shell: str, env: dict[str, str], rc: str) -> subprocess.CompletedProcess:
    require(shell)
    bench_startup.write_rc(shell, {**env, "HOME": env["HOME"]}, rc)
    run_env = {**env, "ZDOTDIR": env["HOME"], "XDG_CONFIG_HOME": str(Path(env["HOME"]) / ".config")}
    result = subprocess.run(
        [shell, "-i", "-c", PROBE[shell]], env=run_env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )
    result.stderr = "".join(
        line for line in result.stderr.splitlines(keepends=True) if not any(s in line for s in NO_TTY)
    )
    return result


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_readme_line_loads_without_running_the_helper(shell_name, tmp_path):
    env = _home(tmp_path)
    helper = write_helper(tmp_path / "bin")
    with_helper = {**env, "PATH": f"{helper.parent}:{env['PATH']}"}
    line = README_LINES[shell_name]
    link = Path(env["HOME"]) / ".local" / "share" / "assume-role" / shell_name

    # The first shell: no link yet, so the line runs `assume-role init`.
    first = start(shell_name, with_helper, line)
    assert (first.stdout.split(), first.stderr) == (["function", "function"], "")
    assert link.is_symlink() and link.resolve() == ROOT / shell_name

    # Every later shell loads through the link: no helper on PATH is needed,
    # so none ran. The line twice (a re-sourced rc file) changes nothing.
    later = start(shell_name, env, line + "\n" + line)
    assert (later.stdout.split(), later.stderr) == (["function", "function"], "")

    # A broken link (the install moved) is mended by the next shell.
    link.unlink()
    link.symlink_to(tmp_path / "gone")
    mended = start(shell_name, with_helper, line)
    assert (mended.stdout.split(), mended.stderr) == (["function", "function"], "")
    assert link.resolve() == ROOT / shell_name


def test_init_help_gives_the_readme_lines(offline_env):
    shown = subprocess.run([offline_env["ASSUME_ROLE_COMMAND"], "init", "--help"], env=offline_env,
                           capture_output=True, text=True, timeout=60).stdout
    for line in README_LINES.values():
        assert line in shown


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_readme_line_is_silent_without_the_program(shell_name, tmp_path):
    # As in a shell started after `pipx install` but before `pipx ensurepath`
    # took effect: no link yet, and no assume-role on PATH.
    env = {**_home(tmp_path), "PATH": "/usr/bin:/bin"}
    assert shutil.which("assume-role", path=env["PATH"]) is None
    require(shell_name)
    bench_startup.write_rc(shell_name, env, README_LINES[shell_name])
    run_env = {**env, "ZDOTDIR": env["HOME"], "XDG_CONFIG_HOME": str(Path(env["HOME"]) / ".config")}
    result = subprocess.run([shell_name, "-i", "-c", "echo started"], env=run_env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    stderr = "".join(line for line in result.stderr.splitlines(keepends=True) if not any(s in line for s in NO_TTY))
    assert (result.returncode, result.stdout, stderr) == (0, "started\n", "")


def _install_line(setup: str) -> str:
    text = (ROOT / "README.md").read_text()
    row = next(r for r in text.splitlines() if r.startswith(f"| {setup} | `"))
    return row.split("`", 2)[1].replace("\\|", "|")


def test_oh_my_zsh_line_runs_twice(tmp_path):
    env = _home(tmp_path)
    helper = write_helper(tmp_path / "bin")
    env["PATH"] = f"{helper.parent}:{env['PATH']}"
    custom = tmp_path / "custom"
    (custom / "plugins").mkdir(parents=True)
    env["ZSH_CUSTOM"] = str(custom)
    line = _install_line("oh-my-zsh")
    for _ in range(2):
        result = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stderr) == (0, "")
    plugin = custom / "plugins" / "assume-role"
    stable = Path(env["HOME"]) / ".local" / "share" / "assume-role" / "zsh"
    assert plugin.is_symlink() and Path(plugin.readlink()) == stable
    assert (plugin / "assume-role.plugin.zsh").is_file()
    # No stray link inside the plugin directory or the checkout.
    assert sorted(p.name for p in (ROOT / "zsh").iterdir()) == ["_assume-role", "assume-role.plugin.zsh"]


def test_antidote_line_runs_twice(tmp_path):
    env = _home(tmp_path)
    helper = write_helper(tmp_path / "bin")
    env["PATH"] = f"{helper.parent}:{env['PATH']}"
    line = _install_line("antidote")
    for _ in range(2):
        result = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stderr) == (0, "")
    stable = Path(env["HOME"]) / ".local" / "share" / "assume-role" / "zsh"
    assert (Path(env["HOME"]) / ".zsh_plugins.txt").read_text() == f"{stable}\n"
