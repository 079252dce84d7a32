"""The layout is the architecture: layers import downwards only, and no two files import each other.

Read from the source with ``ast`` (every import, lazy ones inside functions
included), so a shortcut taken in a hurry fails here rather than in a
newcomer's head. docs/architecture.md draws the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "plugin" / "assume_role"

# Highest first. A module may import its own layer or any layer below it.
LAYERS = [
    ("entry", ["assume_role.__main__", "assume_role.cli"]),
    ("commands", ["assume_role.commands"]),
    ("sign-in sources", ["assume_role.signin"]),
    ("request", ["assume_role.request"]),
    ("questions", ["assume_role.interactive"]),
    ("accounts", ["assume_role.accounts"]),
    ("aws", ["assume_role.aws"]),
    ("shell", ["assume_role.shell"]),
    ("credential server", ["assume_role.serve"]),
    ("state", ["assume_role.state"]),
    (
        "base",
        [
            "assume_role",
            "assume_role.arguments",
            "assume_role.errors",
            "assume_role.credentials",
            "assume_role.validate",
            "assume_role.settings",
            "assume_role.subcommands",
            "assume_role.variables",
            "assume_role.local_peer",
        ],
    ),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "assume_role":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "assume_role")
    found.discard(name)
    return {module for module in found if module in known}


def layer_of(module: str) -> int:
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} belongs to no layer: add it to LAYERS and docs/architecture.md"
    return rank


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_import_runs_down_the_layers():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in graph().items()
        for target in targets
        if layer_of(target) < layer_of(module)
    ]
    assert upward == []


def test_no_import_circles_between_files():
    edges = graph()
    circles = []
    for start in edges:
        # Any path back to ``start``: a circle, however long.
        seen, stack = set(), [(start, [start])]
        while stack:
            node, path = stack.pop()
            for target in edges[node]:
                if target == start:
                    circles.append(" -> ".join([*path, start]))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    assert circles == []


def test_the_checks_see_an_upward_import(tmp_path):
    # The graph is read from the source: an import inside a function counts.
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from assume_role.commands import assume\n")
    known = {"assume_role.state.probe": path, "assume_role.commands.assume": path}
    assert imports("assume_role.state.probe", path, known) == {"assume_role.commands.assume"}
    assert layer_of("assume_role.commands.assume") < layer_of("assume_role.state.probe")
