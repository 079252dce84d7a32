"""The plugin files travel in the wheel, and `assume-role init` from an install loads them.

Builds the wheel from this checkout, installs it into a fresh venv (reusing
this interpreter's packages for the dependencies, so nothing is downloaded)
and loads the output of that install's `assume-role init` in each shell.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT, STRICT, require

from assume_role import __version__


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling"):
        # Offline and quicker: use the build backend already installed.
        command.insert(4, "--no-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = out.glob("assume_role-*.whl")
    return found


def make_venv(path: Path, wheel: Path) -> Path:
    """A venv at ``path`` with the wheel installed, reusing this interpreter's
    packages for the dependencies, as pipx would make it."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(path)], check=True, timeout=300)
    result = subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv") / "venv", wheel)


def test_wheel_carries_every_plugin_file_once(wheel):
    # In the data files only: a second copy inside the package would be a
    # second thing to load, and twice the size.
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"assume_role-{__version__}.data/data/share/assume-role"
    shipped = set()
    for shell in ("bash", "zsh", "fish"):
        for path in (ROOT / shell).rglob("*"):
            if path.is_file():
                relative = path.relative_to(ROOT).as_posix()
                assert f"{data}/{relative}" in names, relative
                shipped.add(path.name)
    elsewhere = [name for name in names if not name.startswith(data) and name.rsplit("/", 1)[-1] in shipped]
    assert elsewhere == []
    # The lab is a distribution of its own.
    assert not [name for name in names if name.startswith("assume_role_lab/")]


def _env(tmp_path: Path) -> dict[str, str]:
    # PATH without the venv: the init output must find its own helper.
    return {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "ASSUME_ROLE_ACCOUNTS_FILE": str(tmp_path / "accounts"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "LANG": "C.UTF-8",
    }


SCRIPTS = {
    "bash": 'eval "$({init})"\ntype -t assume-role\nassume-role --version\nassume-role __complete --shell bash -- pro\n'
    "export AWS_ACCOUNT_NAME=x\nassume-role clear\necho \"name=${{AWS_ACCOUNT_NAME-unset}}\"\n",
    "zsh": 'eval "$({init})"\nprint -r -- ${{+functions[assume-role]}}\nassume-role --version\n'
    "assume-role __complete --shell bash -- pro\n"
    "export AWS_ACCOUNT_NAME=x\nassume-role clear\necho \"name=${{AWS_ACCOUNT_NAME-unset}}\"\n",
    "fish": "{init} | source\nfunctions -q assume-role; and echo function\nassume-role --version\n"
    "assume-role __complete --shell bash -- pro\n"
    "set -gx AWS_ACCOUNT_NAME x\nassume-role clear\nset -q AWS_ACCOUNT_NAME; or echo name=unset\n",
}
FIRST = {"bash": "function", "zsh": "1", "fish": "function"}


def test_init_from_the_install_loads_in_each_shell(venv, shell, tmp_path):
    helper = venv / "bin" / "assume-role"
    (tmp_path / "accounts").write_text('{"production": "111111111111"}')
    init = subprocess.run([str(helper), "init", shell], capture_output=True, text=True, timeout=60, env=_env(tmp_path))
    assert init.returncode == 0, init.stderr
    # One source of truth: the init output sources the stable link, which
    # leads to the install's data files, and names this install's helper.
    stable = tmp_path / ".local" / "share" / "assume-role" / shell
    assert f"{stable}/" in init.stdout
    assert stable.resolve() == (venv / "share" / "assume-role" / shell).resolve()
    assert str(helper) in init.stdout
    assert len(init.stdout.splitlines()) <= 3

    require(shell)
    script = SCRIPTS[shell].format(init=f"'{helper}' init {shell}")
    result = subprocess.run([*STRICT[shell], script], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [FIRST[shell], f"assume-role {__version__}", "production", "name=unset"]


def test_stable_path_survives_a_rebuilt_venv(wheel, tmp_path):
    # pipx rebuilds a tool's venv at the same path, for a new Python; the
    # path given to plugin managers must lead to the files again afterwards.
    venv = make_venv(tmp_path / "pipx" / "venvs" / "assume-role", wheel)
    env = _env(tmp_path)
    paths = {}
    for shell in ("bash", "zsh", "fish"):
        out = subprocess.run([str(venv / "bin" / "assume-role"), "init", shell, "--path"], capture_output=True, text=True, env=env)
        assert out.stderr == ""
        paths[shell] = Path(out.stdout.strip())
        assert paths[shell] == tmp_path / ".local" / "share" / "assume-role" / shell
    shutil.rmtree(venv)
    make_venv(venv, wheel)
    for shell, path in paths.items():
        # Not run again: the link written before still leads to the files.
        entry = {"bash": "assume-role.bash", "zsh": "assume-role.plugin.zsh", "fish": "init.fish"}[shell]
        assert (path / entry).is_file()
        assert path.resolve() == (venv / "share" / "assume-role" / shell).resolve()


def test_demo_without_the_lab_says_how_to_get_it(venv, tmp_path):
    # The tool installed without its demo extra: the emulator is another
    # distribution, and `assume-role demo` says in one line how to get it.
    python = venv / "bin" / "python"
    lab = subprocess.run([str(python), "-c", "import assume_role_lab"], capture_output=True, timeout=60)
    assert lab.returncode != 0, "this test needs an install without assume-role-lab"
    result = subprocess.run([str(venv / "bin" / "assume-role"), "demo"], env=_env(tmp_path), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "assume-role demo: the local AWS emulator is not installed: pip install 'assume-role[demo]', "
        "or in a checkout run `bash .ci/venv demo assume-role demo`\n"
    )


# The original tool's rc line, `source $(which assume-role)`, with the
# installed program on PATH: bash and zsh load the plugin from it, under
# strict flags; another shell is told what the file is.
SOURCED = {
    "bash": "source \"$(command -v assume-role)\"\ntype -t assume-role\nassume-role --version\n",
    "zsh": "source \"$(command -v assume-role)\"\nprint -r -- ${+functions[assume-role]}\nassume-role --version\n",
}


@pytest.mark.parametrize("shell", sorted(SOURCED))
def test_the_original_rc_line_sources_the_program(venv, shell, tmp_path):
    require(shell)
    env = dict(_env(tmp_path), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    result = subprocess.run([*STRICT[shell], SOURCED[shell]], env=env, capture_output=True, text=True, timeout=60)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [FIRST[shell], f"assume-role {__version__}"]


def test_sourcing_the_program_in_sh_says_what_it_is(venv, tmp_path):
    env = dict(_env(tmp_path), PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    result = subprocess.run(["sh", "-c", '. "$(command -v assume-role)"; echo "rc=$?"'], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout == "rc=2\n"
    assert result.stderr == "assume-role: this is a program, not a file to source; see assume-role init --help\n"
