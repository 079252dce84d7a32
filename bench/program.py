"""assume-role as a user runs it, for the benchmarks that start it.

Installers copy ``scripts/assume-role`` and point its first line at the
interpreter, and shells run that file. A benchmark that started
``python -m assume_role`` instead, or a ``/bin/sh`` wrapper around it, would
time runpy and a shell that no user pays for.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = ROOT / "plugin"
SCRIPT = ROOT / "scripts" / "assume-role"


def install(directory: Path) -> Path:
    """A copy of the program in ``directory``, its first line naming this interpreter.

    It imports the package from PYTHONPATH: each benchmark's environment
    points that at this checkout's ``plugin``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "assume-role"
    path.write_text(f"#!{sys.executable}\n" + SCRIPT.read_text().split("\n", 1)[1])
    path.chmod(0o755)
    return path


def compile_package() -> None:
    """Byte-compile the package first, as pip does on install.

    Without it, every sample would compile the modules again where
    PYTHONDONTWRITEBYTECODE is set (awsume's venv was compiled by pip).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PLUGIN_DIR)], check=True,
                   stdout=subprocess.DEVNULL)


def settle(env: dict) -> None:
    """Wait until the sandbox's AWS files are as old as a person's.

    What a file changed in the last two seconds says is read again on every
    run (``aws.profiles``), which no one but a benchmark pays for.
    """
    paths = [Path(env["AWS_CONFIG_FILE"]), Path(env["AWS_SHARED_CREDENTIALS_FILE"])]
    while any(time.time() - max(p.stat().st_mtime, p.stat().st_ctime) < 2.5 for p in paths if p.exists()):
        time.sleep(0.1)
