"""Running the plugin files in real shells: strict one-shot scripts and a real terminal.

The terminal is tmux: it renders what a person would see (zsh's RPROMPT at
the right edge, fish's right prompt, colours), and ``capture-pane`` reads the
screen back without guessing at escape sequences.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = ROOT / "plugin"
SHELLS = ("bash", "zsh", "fish")

# The plugin files as each shell loads them, straight from the checkout.
SOURCES = {
    "bash": [ROOT / "bash" / "assume-role.bash"],
    "zsh": [ROOT / "zsh" / "assume-role.plugin.zsh"],
    "fish": sorted((ROOT / "fish").glob("*/*.fish")),
}

# Non-interactive, strict: unset variables and failing commands are errors.
STRICT = {
    "bash": ["bash", "--norc", "--noprofile", "-eu", "-c"],
    "zsh": ["zsh", "-f", "-eu", "-c"],
    "fish": ["fish", "--no-config", "-c"],
}

PROMPT = "READY>"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x01\x02]")


def require(tool: str) -> str:
    """The tool's path; a missing tool fails the run in CI and skips elsewhere."""
    path = shutil.which(tool)
    if path:
        return path
    message = f"{tool} is not installed"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI must run every shell test")
    pytest.skip(message)


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def write_helper(directory: Path) -> Path:
    """An ``assume-role`` program running this checkout's package.

    Tests point ASSUME_ROLE_COMMAND at it, so they exercise the working tree
    whether or not (and however) the package is installed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "assume-role"
    path.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH='{PLUGIN_DIR}'${{PYTHONPATH:+:$PYTHONPATH}} exec '{sys.executable}' -m assume_role \"$@\"\n"
    )
    path.chmod(0o755)
    return path


def sandbox_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A minimal environment with a private HOME and no AWS settings."""
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "XDG_CACHE_HOME": str(tmp_path / "xdg" / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "xdg" / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg" / "config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg" / "data"),
        "ASSUME_ROLE_ACCOUNTS_FILE": str(home / ".aws" / "accounts"),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(extra)
    return env


def load_lines(shell: str) -> str:
    """Code that loads every plugin file from the checkout, for a one-shot script."""
    return "\n".join(f"source '{path}'" for path in SOURCES[shell]) + "\n"


def run_strict(shell: str, script: str, env: dict[str, str] | None = None, timeout: float = 60):
    require(shell)
    return subprocess.run(
        [*STRICT[shell], script],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Terminal:
    """One interactive shell in a private tmux server, driven by keystrokes."""

    def __init__(self, shell: str, env: dict[str, str], rc: str, tmp_path: Path, width: int = 160, cwd: Path | None = None):
        require("tmux")
        require(shell)
        self.shell = shell
        # A private server on a short path (sockets have a length limit),
        # removed with the server.
        self._socket_dir = tempfile.mkdtemp(prefix="ar-tmux-", dir="/tmp")
        self.socket = os.path.join(self._socket_dir, "socket")
        self.env = dict(env)
        self.width = width
        self._marks = itertools.count(1)
        rc_dir = tmp_path / f"rc-{shell}"
        rc_dir.mkdir(parents=True, exist_ok=True)
        if shell == "bash":
            (rc_dir / "bashrc").write_text(rc)
            command = ["bash", "--noprofile", "--rcfile", str(rc_dir / "bashrc"), "-i"]
        elif shell == "zsh":
            (rc_dir / ".zshrc").write_text(rc)
            self.env["ZDOTDIR"] = str(rc_dir)
            command = ["zsh", "-i"]
        else:
            (rc_dir / "init.fish").write_text(rc)
            command = ["fish", "--no-config", "-i", "-C", f"source '{rc_dir / 'init.fish'}'"]
        self.env.setdefault("TERM", "xterm-256color")
        where = str(cwd or tmp_path)
        try:
            self._tmux("new-session", "-d", "-s", "t", "-c", where, "-x", str(width), "-y", "50", "--", *command)
            self._tmux("set-option", "-t", "t", "history-limit", "5000")
            self.wait_for_prompt()
        except BaseException:
            self.close()
            raise

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], env=self.env, capture_output=True)
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- screen ----------------------------------------------------------------

    def screen(self, colours: bool = False) -> str:
        """Everything printed so far, scrollback included, wrapped lines joined."""
        args = ["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "t"]
        if colours:
            args.insert(1, "-e")
        return self._tmux(*args)

    def wait_for(self, pattern: str, timeout: float = 30, colours: bool = False) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen(colours)
            match = re.search(pattern, text, re.M)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.shell}: {pattern!r} not on screen:\n{text}")
            time.sleep(0.05)

    def wait_for_prompt(self) -> None:
        self.wait_for(re.escape(PROMPT))
        self._settle()

    def _settle(self) -> None:
        # A prompt is drawn in more than one write (zsh and fish draw the
        # right prompt after the left one): wait until the screen is still.
        last = None
        for _ in range(100):
            text = self.screen(colours=True)
            if text == last:
                return
            last = text
            time.sleep(0.05)

    def record(self, path: Path) -> None:
        """From now on, appends every byte the shell writes to the terminal to ``path``."""
        self._tmux("pipe-pane", "-t", "t", f"cat >> '{path}'")

    def title(self) -> str:
        """The window title, as escape sequences written to the terminal set it."""
        return self._tmux("display-message", "-p", "-t", "t", "#{pane_title}").strip()

    # -- keys ------------------------------------------------------------------

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def key(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def run(self, command: str, timeout: float = 60) -> str:
        """Runs a command line and returns its output, once the next prompt is drawn."""
        mark = next(self._marks)
        # The quotes keep the typed line from matching the printed marker.
        self.type(f"{command}; echo __done_''{mark}__")
        self.key("Enter")
        self.wait_for(rf"^__done_{mark}__\s*\n(?:.*\n)*?.*{re.escape(PROMPT)}", timeout)
        self._settle()
        text = self.screen()
        start = text.rfind(f"__done_''{mark}__")
        start = text.find("\n", start) + 1
        end = text.find(f"__done_{mark}__", start)
        return text[start:end]

    def prompt_line(self, colours: bool = False) -> str:
        """The last prompt drawn, right prompt included."""
        self._settle()
        lines = [line for line in self.screen(colours).splitlines() if PROMPT in strip_ansi(line)]
        return lines[-1] if lines else ""

    def clear_line(self) -> None:
        """Discards whatever is typed on the command line."""
        self.key("C-e")
        self.key("C-u")
        self._settle()
