"""The lab (lab/: the emulator and the demo's world) is a distribution of its own.

The tool never imports it, except ``assume-role demo`` once the demo runs;
the environments that need it get this checkout's copy; and the moto it runs
on is the version it pins, since it reads moto's private models.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugin" / "assume_role"
LAB = "assume_role_lab"

IMPORT_ALL = """
import importlib, pkgutil, sys
import assume_role
for module in pkgutil.walk_packages(assume_role.__path__, "assume_role."):
    if module.name != "assume_role.__main__":  # runs the program
        importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] == {lab!r}))
"""


def test_importing_every_module_of_the_tool_leaves_the_lab_alone():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL.format(lab=LAB)],
        env={"PYTHONPATH": f"{PACKAGE.parent}:{ROOT / 'lab'}", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_demo_command_imports_the_lab():
    # Imports inside functions too: only `assume-role demo` may reach the lab.
    importers = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] == LAB for name in _imports(path))
    )
    assert importers == ["commands/demo.py"]


def _extras_naming_the_lab() -> set[str]:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {
        extra for extra, requirements in extras.items()
        if any(re.match(r"assume-role-lab\b", requirement) for requirement in requirements)
    }


def test_ci_venv_installs_the_local_lab_for_the_extras_that_name_it():
    # Otherwise pip would look the name up on an index.
    script = (ROOT / ".ci" / "venv").read_text()
    (case,) = re.findall(r"^(.*)\) lab=\(-e \"\$root/lab\"\)", script, re.M)
    assert set(re.findall(r"\*,([\w-]+),\*", case)) == _extras_naming_the_lab() == {"demo", "test"}



def _lab_import_graph() -> dict[str, set[str]]:
    """Each lab module and the lab modules it imports, at any depth of the code."""
    root = ROOT / "lab" / LAB
    modules = {
        ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): path
        for path in root.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = ".".join(filter(None, [base, node.module]))
                targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            # A package a module belongs to is imported before the module itself.
            graph[name].update(t for t in targets if t in modules and t != name and not name.startswith(f"{t}."))
    return graph


def test_lab_modules_import_each_other_in_one_direction():
    # Lazy imports and TYPE_CHECKING ones count: they hide a circle, not end it.
    graph = _lab_import_graph()
    assert "assume_role_lab.emulator.control_routes" in graph["assume_role_lab.emulator.strict"]
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name) :] + [name])
            return
        for imported in graph[name]:
            visit(imported, [*path, name])

    for name in graph:
        visit(name, [])
    assert cycles == []


def test_moto_is_the_version_the_lab_pins():
    # The strict layer reads moto's private models: the suite must run on the
    # version the lab declares, the one it is known to work with.
    lab = tomllib.loads((ROOT / "lab" / "pyproject.toml").read_text())["project"]
    (pin,) = [requirement for requirement in lab["dependencies"] if re.match(r"moto\b", requirement)]
    assert re.fullmatch(r"moto==[\d.]+", pin), pin
    assert importlib.metadata.version("moto") == pin.split("==")[1]
