"""The README tells the truth: its first two commands run as written, its
configuration reference names every setting the code reads, its picture comes
from the committed terminal capture, and its benchmark table has the rows the
benchmark prints."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support import require_root

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def load(path: Path):
    """Import a script of the repository by its path."""
    spec = importlib.util.spec_from_file_location(f"readme_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_commands() -> list[str]:
    """The shell blocks that open the README, before its first section."""
    head = README.split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", head, re.S)]


def run_as_written(command: str, *extra: str, cwd: Path = ROOT, env: dict | None = None, timeout: float):
    """Run a README command in bash, as someone who just cloned the repository would."""
    line = " ".join([command, *extra])
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env or dict(os.environ), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=timeout,
    )


def test_readme_starts_with_the_two_commands():
    demo, suite = first_commands()
    assert demo == "bash .ci/venv demo assume-role demo"
    assert suite == "bash .ci/run"


SYSTEM_PYTHON = Path("/usr/bin/python3")


def test_demo_command_runs_in_a_fresh_clone_with_the_system_python(tmp_path):
    # A stock Debian/Ubuntu machine: the distribution's python3, which refuses
    # `pip install` outside a virtual environment (PEP 668), and a new home.
    # No terminal here, so the demo runs its scripted walkthrough.
    if not SYSTEM_PYTHON.exists() or not (ROOT / ".git").exists():
        pytest.skip("needs the system's /usr/bin/python3 and a git checkout to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    home = tmp_path / "home"
    home.mkdir()
    # Settings that point pip at an index or a proxy are kept; nothing else.
    env = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "http_", "https_", "HTTP", "no_proxy", "NO_PROXY"))}
    env.update(HOME=str(home), PATH="/usr/bin:/bin", LANG="C.UTF-8")
    demo, _ = first_commands()
    result = run_as_written(demo, cwd=clone, env=env, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "a scripted walkthrough in" in result.stdout
    assert "All steps passed." in result.stdout
    assert re.search(r"emulator stopped, sandbox \S+ removed", result.stdout)
    # Everything went into the clone's .venv: not into the system's Python,
    # not into the home directory.
    assert (clone / ".venv" / "bin" / "assume-role").exists()
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import assume_role"], env=env, capture_output=True)
    assert probe.returncode != 0
    assert not (home / ".local" / "bin" / "assume-role").exists()
    assert not (home / ".local" / "lib").exists()


def test_a_missing_ensurepip_is_one_clear_line(tmp_path):
    # Debian and Ubuntu without python3-venv: venv has no ensurepip. A module
    # of that name that fails to import stands in for the missing package.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text("raise ModuleNotFoundError(\"No module named 'ensurepip'\")\n")
    env = {**os.environ, "PYTHONPATH": str(shadow), "ASSUME_ROLE_VENV": str(tmp_path / "venv")}
    result = run_as_written("bash .ci/venv demo assume-role demo", env=env, timeout=60)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.count("\n") == 1 and "apt install python3-venv" in result.stderr, result.stderr
    assert not (tmp_path / "venv").exists()


def test_test_command_runs_as_written():
    # Running the whole suite from inside the suite would recurse, so the
    # command runs exactly as written with pytest's --collect-only appended
    # (.ci/run passes its arguments to pytest): the set-up steps really run,
    # and pytest collects every test without running any.
    _, suite = first_commands()
    missing = [p for p in ("zsh", "fish", "shellcheck", "tmux") if not shutil.which(p)]
    if missing:
        require_root(f"to install {', '.join(missing)}")
    result = run_as_written(suite, "--collect-only", timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "tests/test_readme.py::test_test_command_runs_as_written" in result.stdout
    assert re.search(r"^\d+ tests collected", result.stdout, re.M)


def test_ci_installs_what_the_readme_says():
    # The README's sentence about `bash .ci/run` names every Debian package in
    # the script's list.
    script = (ROOT / ".ci" / "run").read_text()
    packages = re.search(r"^packages=\((.*)\)$", script, re.M).group(1).split()
    intro = README.split("\n## ", 1)[0]
    missing = [p for p in packages if f"`{p}`" not in intro]
    assert missing == []


def settings_read_by_the_code() -> set[str]:
    """Every AWS_/ASSUME_ROLE_/SAML_ variable the helper or a plugin mentions, and the plugins' own settings."""
    names: set[str] = set()
    # The tool, and the demo it runs from the lab; the emulator's own knobs are not the tool's.
    tool, demo = ROOT / "plugin" / "assume_role", ROOT / "lab" / "assume_role_lab" / "demo"
    for path in [*tool.rglob("*.py"), *demo.rglob("*.py")]:
        names.update(re.findall(r"[\"']((?:AWS|ASSUME_ROLE|SAML)_[A-Z0-9_]+)[\"']", path.read_text()))
    for shell in ("bash", "zsh", "fish"):
        for path in (ROOT / shell).rglob("*"):
            if path.is_file():
                text = path.read_text()
                names.update(re.findall(r"\$\{?((?:ZSH_THEME_)?(?:AWS|ASSUME_ROLE)_[A-Z0-9_]+)", text))
                names.update(re.findall(r"\bassume_role_color_[a-z]+", text))
    return names


def test_configuration_reference_names_every_setting():
    names = settings_read_by_the_code()
    assert {"AWS_PROFILE_ASSUME_ROLE", "ASSUME_ROLE_CACHE", "ZSH_THEME_ASSUME_ROLE_VALID"} <= names
    reference = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    demo_section = README.split("## The demo", 1)[1].split("\n## ", 1)[0]
    missing = sorted(name for name in names if f"`{name}`" not in reference + demo_section)
    assert missing == []


def test_troubleshooting_covers_the_common_errors():
    troubleshooting = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for topic in ("role chaining", "MFA code", "Expired credentials", "`AWS_PROFILE` is still set"):
        assert topic in troubleshooting


def test_install_paths():
    install = README.split("## Install", 1)[1].split("\n## ", 1)[0]
    for way in ("pipx install", "oh-my-zsh", "antidote", "zinit", "fisher", "init bash", "init zsh", "init fish"):
        assert way in install


def test_picture_comes_from_the_capture():
    assert "](docs/prompt.png)" in README
    png = (ROOT / "docs" / "prompt.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    capture = (ROOT / "docs" / "prompt.ansi").read_text()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", capture)
    assert re.search(r"^demo:~% assume-role production read \d{6}$", plain, re.M)
    assert re.search(r"production:read (\d+m|1h00m)$", plain, re.M)


def test_picture_is_the_capture_rendered(tmp_path):
    """Rendering the committed capture again gives a picture of the same size."""
    capture = (ROOT / "docs" / "prompt.ansi").read_text()
    pytest.importorskip("PIL", reason="Pillow draws the picture: bash .ci/venv demo,docs ...")
    make_prompt_image = load(ROOT / "docs" / "make_prompt_image.py")
    from PIL import Image

    fonts = make_prompt_image.FONT_DIR
    if not (fonts / "DejaVuSansMono.ttf").exists():
        pytest.skip("DejaVu Sans Mono is not installed")
    rendered = tmp_path / "prompt.png"
    make_prompt_image.render(capture, rendered, fonts)
    assert Image.open(rendered).size == Image.open(ROOT / "docs" / "prompt.png").size


def test_benchmark_table_matches_the_benchmark():
    bench_run = load(ROOT / "bench" / "run.py")
    core = dict.fromkeys(
        ["full MFA flow", "role switch, MFA session reused", "cache hit", "credential-process, cache hit", "--help"], 0.1
    )
    shells = {
        "segment_us": {"bash": 1.0, "zsh": 1.0, "fish": 1.0},
        "forks_per_prompt": {"bash": 0.0, "zsh": 0.0, "fish": 0.0},
        "refresh_us": {"bash": 1.0, "zsh": 1.0, "fish": 1.0},
        "forks_per_command": {"bash": 0.0, "zsh": 0.0, "fish": 0.0},
        "completion_ms": {
            f"{n} aliases, {case}": 1.0 for n in (10, 10_000) for case in ("first word", "role", "bash prefix")
        },
        "python_startup_ms": 1.0,
    }
    startup = {"readme": dict.fromkeys(("bash", "zsh", "fish"), 1.0), "eval": dict.fromkeys(("bash", "zsh", "fish"), 20.0)}
    serve = dict.fromkeys(["request_ms", "request_p95_ms", "botocore_ms", "botocore_p95_ms"], 1.0)
    expected = [what for what, _, _ in bench_run.rows(core, shells, startup, serve)]
    table = README.split("<!-- bench:begin -->", 1)[1].split("<!-- bench:end -->", 1)[0]
    blocks = table.strip().split("\n\n")
    first = blocks[0]
    [growth] = [block for block in blocks if block.startswith("| ms, median, with N aliases")]
    shown = [line.split("|")[1].strip() for line in first.splitlines() if line.startswith("| ")][1:]
    assert shown == expected
    scale = {n: {key: 1.0 for key, _ in bench_run.SCALE_ROWS} for n in (10, 1_000, 10_000, 100_000)}
    assert [line.split("|")[1] for line in growth.splitlines()] == [
        line.split("|")[1] for line in bench_run.scale_markdown(scale).splitlines()
    ]
    assert re.search(r"^Machine: .+ cores, .+; Python 3\.", table, re.M)
    assert "bench/run.py" in README


def test_the_first_screen_has_what_a_newcomer_needs():
    # What it is, the demo, the tests, the install, the rc line for each
    # shell (the same as the reference table's) and the accounts file, in
    # the first 60 lines; the rest is reference.
    first = "\n".join(README.splitlines()[:60])
    for needed in ("bash .ci/venv demo assume-role demo", "bash .ci/run", "pipx install .", "pipx ensurepath",
                   "~/.aws/accounts", "~/.aws/credentials"):
        assert needed in first, needed
    install = README.split("## Install", 1)[1].split("\n## ", 1)[0]
    for shell in ("bash", "zsh", "fish"):
        row = next(line for line in install.splitlines() if line.startswith(f"| {shell} |"))
        line = row.split("| `", 1)[1].split("` to `", 1)[0].replace("\\|", "|")
        assert line in first, shell
