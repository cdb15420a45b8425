"""What the built wheel contains."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_py_typed_and_no_tests(tmp_path: Path) -> None:
    """The wheel holds the package with its py.typed marker, and nothing else."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hatchling",
            "build",
            "-t",
            "wheel",
            "-d",
            str(tmp_path),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("taskstatus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "taskstatus/py.typed" in names
    assert "taskstatus/__init__.py" in names
    assert [] == [n for n in names if not n.startswith(("taskstatus/", "taskstatus-"))]
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("METADATA")))
        .decode()
    )
    runtime_dependencies = [
        line
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert [] == runtime_dependencies
    assert "Requires-Python: >=3.9" in metadata


def _imports_of_the_package() -> dict[str, set[str]]:
    """Each module of taskstatus, and the modules of taskstatus it imports.

    Every import counts, at the top or inside a function: a lazy import
    that closes a cycle is still a cycle to a reader.
    """
    source = Path(__file__).resolve().parent.parent / "src" / "taskstatus"
    names: dict[str, Path] = {}
    for path in source.rglob("*.py"):
        parts = path.relative_to(source.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = (
                    ".".join([*base, *([node.module] if node.module else [])])
                    if node.level
                    else node.module or ""
                )
                for alias in node.names:
                    found = f"{target}.{alias.name}"
                    if found in names:
                        graph[name].add(found)
                    elif target in names and target != name:
                        graph[name].add(target)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in names)
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    """The package's imports form no cycle, of any length."""
    graph = _imports_of_the_package()
    assert "taskstatus._cli._batch" in graph["taskstatus._cli._main"]
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                cycle = [*trail[trail.index(imported) :], imported]
                raise AssertionError(" -> ".join(cycle))
            if imported not in state:
                visit(imported, [*trail, imported])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
