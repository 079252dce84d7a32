"""Lint every plugin file with its own shell's tools."""

from __future__ import annotations

import subprocess

import pytest
from helpers import ROOT, require

BASH_FILES = sorted((ROOT / "bash").glob("*.bash"))
ZSH_FILES = [ROOT / "zsh" / "assume-role.plugin.zsh", ROOT / "zsh" / "_assume-role"]
FISH_FILES = sorted((ROOT / "fish").rglob("*.fish"))


def _check(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr, result.stdout + result.stderr


def test_files_exist():
    assert BASH_FILES and FISH_FILES
    assert all(path.is_file() for path in ZSH_FILES)
    layout = {path.parent.name for path in FISH_FILES if path.name != "init.fish"}
    # The layout fisher installs from: one directory per kind of file, and
    # init.fish at the top, which loads that layout without fisher.
    assert layout == {"functions", "completions", "conf.d"}
    assert ROOT / "fish" / "init.fish" in FISH_FILES


@pytest.mark.parametrize("path", BASH_FILES, ids=lambda p: p.name)
def test_shellcheck(path):
    _check(require("shellcheck"), "--shell=bash", "--severity=style", str(path))


@pytest.mark.parametrize("path", ZSH_FILES, ids=lambda p: p.name)
def test_zsh_syntax(path):
    _check(require("zsh"), "-n", str(path))


@pytest.mark.parametrize("path", FISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fish_syntax(path):
    _check(require("fish"), "--no-execute", str(path))


@pytest.mark.parametrize("path", FISH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fish_indent(path):
    _check(require("fish_indent"), "--check", str(path))


def test_fish_autoload_names():
    # fish autoloads functions/NAME.fish only for a function called NAME.
    for path in (ROOT / "fish" / "functions").glob("*.fish"):
        assert f"function {path.stem} " in path.read_text(), path
