"""assume-role as a user runs it, for the benchmarks that start it.

Installers copy ``scripts/assume-role`` and point its first line at the
interpreter, and shells run that file. A benchmark that started
``python -m assume_role`` instead, or a ``/bin/sh`` wrapper around it, would
time runpy and a shell that no user pays for.
"""

from __future__ import annotations

import subprocess
import sys
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
