"""`assume-role init`, and loading the plugins the ways plugin managers do."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import ROOT, STRICT, require

from assume_role.shell import plugin_files as shell_files
from assume_role.commands import init as init_cmd


def run_init(env, *args: str):
    return subprocess.run([env["ASSUME_ROLE_COMMAND"], "init", *args], env=env, capture_output=True, text=True, timeout=60)


def test_checkout_files_are_found():
    for shell in shell_files.SHELLS:
        assert shell_files.locate(shell) == ROOT / shell
        assert shell_files.entry(shell).is_file()


def test_installed_files_are_found_under_the_install_prefix(tmp_path, monkeypatch):
    # An install: one copy, the wheel's data files under the prefix the
    # package was installed into (a path pipx keeps when it rebuilds its venv).
    prefix = tmp_path / "venv"
    package = prefix / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "assume_role"
    data = prefix / "share" / "assume-role" / "bash"
    package.mkdir(parents=True)
    data.mkdir(parents=True)
    (data / "assume-role.bash").write_text("")
    monkeypatch.setattr(shell_files, "_PACKAGE", package)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "python"))  # not this test run's environment
    assert shell_files.locate("bash") == data
    with pytest.raises(shell_files.NotFound):
        shell_files.locate("zsh")


@pytest.mark.parametrize(
    "site, prefix",
    [
        ("venv/lib/python3.X/site-packages", "venv"),  # a venv, pipx
        ("home/.local/lib/python3.X/site-packages", "home/.local"),  # pip install --user
        ("prefix/lib/python", "prefix"),  # pip install --home
    ],
)
def test_data_prefix_of_an_install(site, prefix, tmp_path):
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    package = tmp_path / site.replace("3.X", version) / "assume_role"
    assert shell_files.data_prefixes(package)[0] == tmp_path / prefix


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_init_sources_the_file(shell_name):
    text = init_cmd.script(shell_name, ROOT / shell_name, "/opt/it's/assume-role")
    assert f". '{ROOT / shell_name / shell_files.ENTRY[shell_name]}'" in text
    assert "ASSUME_ROLE_COMMAND='/opt/it'\\''s/assume-role'" in text


def test_init_fish_sources_init_fish():
    text = init_cmd.script("fish", ROOT / "fish", None)
    assert "ASSUME_ROLE_COMMAND" not in text
    assert f"source '{ROOT / 'fish' / 'init.fish'}'" in text


def test_init_fish_pipes_into_source(offline_env):
    require("fish")
    script = (
        f"'{offline_env['ASSUME_ROLE_COMMAND']}' init fish | source\n"
        "functions -q assume-role assume_role_prompt; and echo functions\n"
        "complete -C'assume-role prod'\n"
        # The temporary variable of the init code stays inside it.
        "set -q _assume_role_dir; or echo tidy\n"
    )
    result = subprocess.run([*STRICT["fish"], script], env=offline_env, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.stdout.splitlines() == ["functions", "production\t111111111111", "tidy"]


def test_init_usage(offline_env):
    result = run_init(offline_env)
    assert result.returncode == 2 and result.stdout == "" and "bash, zsh or fish" in result.stderr
    assert run_init(offline_env, "tcsh").returncode == 2
    help_text = run_init(offline_env, "--help")
    assert help_text.returncode == 0 and 'eval "$(assume-role init bash)"' in help_text.stdout


def test_init_path_is_a_stable_link(offline_env):
    data = Path(offline_env["XDG_DATA_HOME"]) / "assume-role"
    for shell in ("zsh", "fish", "bash"):
        result = run_init(offline_env, shell, "--path")
        assert (result.stdout, result.stderr) == (f"{data / shell}\n", "")
        assert (data / shell).is_symlink() and (data / shell).resolve() == ROOT / shell
    # Printed again (or by another init): the same link, nothing else there.
    assert run_init(offline_env, "zsh", "--path").stdout == f"{data / 'zsh'}\n"
    assert sorted(p.name for p in data.iterdir()) == ["bash", "fish", "zsh"]


def test_init_mends_a_broken_link(offline_env):
    # As after pipx rebuilt its venv for a new Python under an old link.
    data = Path(offline_env["XDG_DATA_HOME"]) / "assume-role"
    data.mkdir(parents=True)
    (data / "zsh").symlink_to(data / "gone" / "python3.11" / "zsh")
    result = run_init(offline_env, "zsh")
    assert result.stderr == ""
    assert f". '{data / 'zsh' / 'assume-role.plugin.zsh'}'" in result.stdout
    assert (data / "zsh").resolve() == ROOT / "zsh"


def test_init_with_an_unwritable_data_directory(offline_env, tmp_path):
    # A file where the directory should be: the plugin still loads, from
    # where it is, with one line saying why.
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    env = {**offline_env, "XDG_DATA_HOME": str(blocker)}
    result = run_init(env, "bash")
    assert result.returncode == 0
    assert f". '{ROOT / 'bash' / 'assume-role.bash'}'" in result.stdout
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr


def test_starship_snippet_is_valid_toml(offline_env):
    result = run_init(offline_env, "starship")
    config = tomllib.loads(result.stdout)
    assert config["env_var"]["assume_role_account"]["variable"] == "AWS_ACCOUNT_NAME"
    assert config["env_var"]["assume_role_role"]["variable"] == "AWS_ACCOUNT_ROLE"
    assert "$duration" in config["aws"]["format"]
    assert config["format"].startswith("${env_var.assume_role_account}${env_var.assume_role_role}")


def test_fisher_style_install(offline_env, tmp_path):
    # fisher copies functions/, completions/ and conf.d/ into the user's fish
    # config; a normal (configured) fish then has everything.
    require("fish")
    config = Path(offline_env["XDG_CONFIG_HOME"]) / "fish"
    for kind in ("functions", "completions", "conf.d"):
        shutil.copytree(ROOT / "fish" / kind, config / kind, dirs_exist_ok=True)
    script = "functions -q assume-role assume_role_prompt; and echo ok\ncomplete -C'assume-role production a'\n"
    result = subprocess.run(["fish", "-c", script], env=offline_env, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.stdout.splitlines() == ["ok", "admin\tlisted in the accounts file"]


def test_oh_my_zsh_style_plugin_directory(offline_env, tmp_path):
    # oh-my-zsh: $ZSH_CUSTOM/plugins/assume-role/assume-role.plugin.zsh, here
    # a link to the checkout's zsh/ directory, sourced by its link path.
    require("zsh")
    plugins = tmp_path / "custom" / "plugins"
    plugins.mkdir(parents=True)
    (plugins / "assume-role").symlink_to(ROOT / "zsh")
    script = (
        "fpath=($ZSH_CUSTOM/plugins/assume-role $fpath)\n"
        "autoload -Uz compinit && compinit -u -D\n"
        "source $ZSH_CUSTOM/plugins/assume-role/assume-role.plugin.zsh\n"
        "print -r -- ${_comps[assume-role]} ${+functions[assume-role]} ${+functions[assume_role_prompt_info]}\n"
    )
    env = {**offline_env, "ZSH_CUSTOM": str(tmp_path / "custom")}
    result = subprocess.run(["zsh", "-f", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert (result.stdout, result.stderr) == ("_assume-role 1 1\n", "")
