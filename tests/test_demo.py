"""`assume-role demo`: the scripted walkthrough, and the real thing in a terminal.

Every run gets a HOME whose ~/.aws is poisoned (a config file botocore cannot
parse, a bogus default profile) and an environment naming another profile and
keys: the demo only works if it reads none of it, and the files must be exactly
as they were afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELLS = ("bash", "zsh", "fish")
# The demo shells' prompt starts with a coloured "demo:".
PROMPT = r"demo(?:\x1b\[[0-9;]*m|\x1b\(B)*:"


def require(tool: str) -> None:
    """A missing shell fails the run in CI and skips elsewhere."""
    if shutil.which(tool):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed, and CI must run every demo test")
    pytest.skip(f"{tool} is not installed")


def poisoned_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    aws = home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text("[default\nthis line makes botocore fail to parse the file\n")
    (aws / "credentials").write_text("[default]\naws_access_key_id = AKIAREALUSERKEY00000\naws_secret_access_key = x\n")
    (aws / "accounts").write_text('{"production": "999999999999"}\n')
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "ASSUME_ROLE_")) and name not in ("PYTHONPATH", "HOME")
    }
    env.update(
        HOME=str(home),
        PYTHONPATH=os.pathsep.join([str(ROOT / "plugin"), str(ROOT / "lab")]),
        TERM="xterm-256color",
        AWS_PROFILE="real-profile",
        AWS_ACCESS_KEY_ID="AKIAREALUSERKEY00000",
        AWS_SECRET_ACCESS_KEY="real",
        AWS_CONFIG_FILE=str(aws / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
        ASSUME_ROLE_ACCOUNTS_FILE=str(aws / "accounts"),
    )
    return env


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() if p.is_file() else b"" for p in directory.rglob("*")}


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def assert_cleaned_up(output: str) -> None:
    """The emulator named in the output has exited and the sandbox is gone."""
    pid = int(re.search(r"\(process (\d+)\)", output).group(1))
    sandbox = re.search(r"sandbox (/\S+) removed", output).group(1)
    assert process_gone(pid), f"emulator {pid} still running"
    assert not Path(sandbox).exists(), sandbox


@pytest.mark.parametrize("shell", SHELLS)
def test_walkthrough_without_a_terminal(shell, tmp_path):
    require(shell)
    env = poisoned_env(tmp_path)
    home_before = snapshot(Path(env["HOME"]))
    run = subprocess.run(
        [sys.executable, "-m", "assume_role", "demo", "--shell", shell],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180,
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert f"a scripted walkthrough in {shell}" in out
    # Each step is printed with its command and its real result.
    assert re.search(r"\$ assume-role production read \d{6}\n\s+\$ echo .*\n\s+production:read in 111111111111, ", out)
    assert re.search(r"production:read (\d+m|1h00m)", out)
    assert "aws says:     arn:aws:sts::111111111111:assumed-role/read/alice" in out
    assert "staging:admin in 222222222222" in out
    assert "still one GetSessionToken call in all" in out
    assert "(exit status 4)" in out and "AWS refused the MFA code" in out
    assert "no role assumed in this shell" in out
    assert "production:AdministratorAccess in 111111111111" in out
    assert "one GetRoleCredentials with the AWS CLI's sign-in" in out
    assert "All steps passed." in out and "FAILED" not in out
    assert_cleaned_up(out)
    assert snapshot(Path(env["HOME"])) == home_before


def test_walkthrough_reports_a_failed_step(tmp_path):
    """A step whose result does not hold makes the demo fail, and it still cleans up."""
    require("bash")
    env = poisoned_env(tmp_path)
    # The helper's network calls time out at once, so the first assume fails.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\nif os.environ.get('ASSUME_ROLE_DEMO'):\n    os.environ['AWS_ENDPOINT_URL'] = 'http://127.0.0.1:9'\n"
    )
    env["PYTHONPATH"] += os.pathsep + str(hook)
    run = subprocess.run(
        [sys.executable, "-m", "assume_role", "demo", "--shell", "bash"],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"FAILED: `assume-role production read \d{6}` exited with 6, expected 0", run.stdout)
    assert "The walkthrough failed." in run.stdout
    assert_cleaned_up(run.stdout)


def spawn_demo(shell: str, tmp_path: Path):
    pexpect = pytest.importorskip("pexpect")
    require(shell)
    env = poisoned_env(tmp_path)
    cwd = tmp_path / "work"
    cwd.mkdir()
    child = pexpect.spawn(
        sys.executable, ["-m", "assume_role", "demo", "--shell", shell],
        env=env, cwd=str(cwd), dimensions=(40, 120), encoding="utf-8", timeout=60,
    )
    child.logfile_read = open(tmp_path / "terminal.log", "w")  # noqa: SIM115 - closed with the child
    return pexpect, child, env


@pytest.mark.parametrize("shell", SHELLS)
def test_demo_in_a_terminal(shell, tmp_path):
    pexpect, child, env = spawn_demo(shell, tmp_path)
    home_before = snapshot(Path(env["HOME"]))
    try:
        child.expect(r"\(process (\d+)\)")
        emulator_pid = int(child.match.group(1))
        child.expect(r"sandbox +(/\S+)")
        sandbox = Path(child.match.group(1))
        assert sandbox.is_dir()
        child.expect(r"assume-role production read (\d{6}) ")
        code = child.match.group(1)
        child.expect(PROMPT)
        # Ctrl-C belongs to the shell: the demo (and its emulator) carry on.
        child.sendintr()
        # Keys typed while the shell is still handling the interrupt can be
        # dropped with the interrupted line: type the line again until it runs.
        for _ in range(5):
            child.sendline("printf '%s-%s\\n' still here")
            if child.expect(["still-here", pexpect.TIMEOUT], timeout=10) == 0:
                break
        else:
            pytest.fail("the demo shell did not run a command after Ctrl-C")

        child.sendline(f"assume-role production read {code}")
        # bash puts the segment before the prompt, zsh and fish at the right edge.
        child.expect(r"production:read (\d+m|1h00m)")

        # Tab completes the alias; the switch reuses the MFA session, no code needed.
        child.send("assume-role stag\t")
        child.expect("ing")
        child.sendline("admin")
        child.expect(r"staging:admin (\d+m|1h00m)")

        child.sendline("exit")
        child.expect("emulator stopped")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        child.logfile_read.close()
    assert child.exitstatus == 0, (tmp_path / "terminal.log").read_text()
    assert process_gone(emulator_pid)
    assert not sandbox.exists()
    assert snapshot(Path(env["HOME"])) == home_before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_demo_cleans_up_when_stopped(signum, tmp_path):
    pexpect, child, _ = spawn_demo("bash", tmp_path)
    try:
        child.expect(r"\(process (\d+)\)")
        emulator_pid = int(child.match.group(1))
        child.expect(r"sandbox +(/\S+)")
        sandbox = Path(child.match.group(1))
        child.expect(PROMPT)
        child.kill(signum)
        child.expect("emulator stopped")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        child.logfile_read.close()
    assert child.exitstatus == 128 + signum
    assert process_gone(emulator_pid)
    assert not sandbox.exists()


def test_choose_shell(monkeypatch):
    from assume_role.shell import emitters as detect
    from assume_role.commands import demo

    monkeypatch.setattr(detect, "calling_shell", lambda: "sh")
    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert demo.choose_shell() == "zsh"
    assert demo.choose_shell("fish") == "fish"
    monkeypatch.setattr(detect, "calling_shell", lambda: "fish")
    assert demo.choose_shell() == "fish"
    monkeypatch.setattr(detect, "calling_shell", lambda: "sh")
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert demo.choose_shell() == "bash"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LookupError):
        demo.choose_shell("zsh")


def _outer_shell(shell: str, tmp_path: Path, helper: Path) -> tuple[str, list[str], dict[str, str]]:
    """The user's own interactive shell with the plugin loaded, prompt OUTER>."""
    env = poisoned_env(tmp_path)
    rc_dir = tmp_path / "rc"
    rc_dir.mkdir()
    if shell == "fish":
        sources = "; ".join(f"source '{p}'" for p in sorted((ROOT / "fish").glob("*/*.fish")))
        init = f"function fish_prompt; printf 'OUTER> '; end; {sources}; set -g ASSUME_ROLE_COMMAND '{helper}'"
        return "fish", ["--no-config", "-i", "-C", init], env
    plugin = ROOT / "bash" / "assume-role.bash" if shell == "bash" else ROOT / "zsh" / "assume-role.plugin.zsh"
    rc = f"PS1='OUTER> '\nsource '{plugin}'\nASSUME_ROLE_COMMAND='{helper}'\n"
    if shell == "zsh":
        (rc_dir / ".zshrc").write_text(rc.replace("PS1=", "PROMPT="))
        env["ZDOTDIR"] = str(rc_dir)
        return "zsh", ["-i"], env
    (rc_dir / "bashrc").write_text(rc)
    return "bash", ["--noprofile", "--rcfile", str(rc_dir / "bashrc"), "-i"], env


@pytest.mark.parametrize("shell", SHELLS)
def test_demo_through_the_shell_function(shell, tmp_path):
    # `assume-role demo` typed in a shell that has the plugin: the function
    # hands the terminal to the demo, whose shell works and gives it back.
    pexpect = pytest.importorskip("pexpect")
    require(shell)
    helper = tmp_path / "bin" / "assume-role"
    helper.parent.mkdir()
    helper.write_text(f"#!/bin/sh\nexec '{sys.executable}' -m assume_role \"$@\"\n")
    helper.chmod(0o755)
    program, args, env = _outer_shell(shell, tmp_path, helper)
    child = pexpect.spawn(program, args, env=env, cwd=str(tmp_path), dimensions=(40, 120), encoding="utf-8", timeout=90)
    child.logfile_read = open(tmp_path / "terminal.log", "w")  # noqa: SIM115 - closed with the child
    try:
        child.expect("OUTER> ")
        child.sendline("assume-role demo")
        child.expect(r"assume-role production read (\d{6}) ")
        code = child.match.group(1)
        child.expect(PROMPT)
        child.sendline(f"assume-role production read {code}")
        child.expect(r"production:read (\d+m|1h00m)")
        child.sendline("exit")
        child.expect("emulator stopped")
        child.expect("OUTER> ")
        child.sendline('echo "rc:"' + ("$status" if shell == "fish" else "$?"))
        child.expect(r"rc:(\d+)")
        assert child.match.group(1) == "0"
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
        child.logfile_read.close()
