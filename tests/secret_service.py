"""A real Secret Service for the tests: gnome-keyring-daemon in a D-Bus session of its own.

``dbus-run-session`` starts a private session bus and keeps it while its
child runs; the child here prints the bus address and then waits on its
stdin, so the bus lives until ``stop`` closes that. gnome-keyring-daemon is
unlocked with a test password (``--unlock`` reads it on stdin, creating the
login keyring), then started with only its secrets component. Its files live
under the directory given, apart from any sandbox HOME, and it exits when its
bus goes away.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import cannot_run

PASSWORD = b"test keyring password"


class SecretService:
    def __init__(self, root: Path):
        for program in ("dbus-run-session", "gnome-keyring-daemon"):
            if not shutil.which(program):
                cannot_run(f"{program} is not installed (Debian: dbus-daemon, gnome-keyring)")
        self.root = root
        home, runtime = root / "home", root / "run"
        home.mkdir(parents=True)
        runtime.mkdir(mode=0o700)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                    "XDG_RUNTIME_DIR": str(runtime), "XDG_DATA_HOME": str(home / "data")}
        self._bus = subprocess.Popen(
            ["dbus-run-session", "--", "sh", "-c", 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec cat'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env,
        )
        address = self._bus.stdout.readline().decode().strip()
        if not address:
            self.stop()
            cannot_run("dbus-run-session started no session bus")
        self.address = address
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        for arguments, given in ((["--unlock"], PASSWORD), (["--start", "--components=secrets"], None)):
            done = subprocess.run(["gnome-keyring-daemon", *arguments], input=given, env=self.env,
                                  capture_output=True, timeout=30)
            if done.returncode:
                self.stop()
                cannot_run(f"gnome-keyring-daemon {' '.join(arguments)} failed with status {done.returncode}")

    @property
    def store(self) -> Path:
        """Where the daemon keeps its (encrypted) keyrings."""
        return Path(self.env["XDG_DATA_HOME"]) / "keyrings"

    def client_env(self) -> dict[str, str]:
        """What a process needs to reach this Secret Service."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def lock(self) -> None:
        """Lock the login keyring, as a screen lock or a timeout does."""
        script = "import secretstorage; secretstorage.get_default_collection(secretstorage.dbus_init()).lock()"
        subprocess.run([sys.executable, "-c", script], env={**self.env}, check=True, timeout=30)

    def stop(self) -> None:
        if self._bus.poll() is None:
            self._bus.stdin.close()
            try:
                self._bus.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._bus.kill()
                self._bus.wait()
        self._bus.stdout.close()
