"""The kit's architecture, read from its source: no import cycle, the
command line at the top only, and docs/architecture.md naming exactly the
modules that exist."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograder", "reference")
DOC = ROOT / "docs" / "architecture.md"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The kit's modules that ``name`` imports, at any depth of its code
    (an import inside a function is still a dependency)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # "from package import submodule" depends on the submodule itself.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return []

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_import_graph_is_read_from_the_source():
    edges = graph()
    assert "autograder.engine" in edges["autograder.cli"] or "autograder.commands.grade" in edges["autograder.cli"] \
        or edges["autograder.cli"], "the reader found no import of the CLI at all"
    assert "autograder.sandbox.lending" in edges["autograder.engine"] or "autograder.sandbox" in edges["autograder.engine"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_kits_modules():
    cycle = find_cycle(graph())
    assert not cycle, " -> ".join(cycle)


def test_only_the_entry_points_reach_the_command_line():
    edges = graph()
    for name, targets in edges.items():
        if "autograder.cli" in targets:
            assert name == "autograder.__main__", f"{name} imports the command line"
        commands = {t for t in targets if t.startswith("autograder.commands")}
        if commands and not name.startswith("autograder.commands"):
            assert name == "autograder.cli", f"{name} imports {sorted(commands)}"


def test_errors_is_a_leaf_every_layer_may_import():
    assert graph()["autograder.errors"] == set()


def test_the_sandbox_runner_stands_alone():
    """runner.py, wire.py and mirror.py run in the student's process, where the kit is
    out of reach: they import nothing of it."""
    edges = graph()
    assert edges["autograder.sandbox.runner"] == set()
    assert edges["autograder.sandbox.wire"] == set()
    assert edges["autograder.sandbox.mirror"] == set()
    assert edges["autograder.student_kit.nbcells"] == set()


def documented_modules() -> set[str]:
    """Every ``path/to/module.py`` named in the architecture page."""
    text = DOC.read_text(encoding="utf-8")
    return {match for match in re.findall(r"`((?:autograder|reference|tools)/[\w/]+\.py)`", text)}


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return len(body) <= 1 and all(isinstance(node, ast.Expr) for node in body)


def test_the_architecture_page_names_exactly_the_modules_that_exist():
    """Every module is named (a package's ``__init__.py`` only when it holds
    code), and every module named exists."""
    paths = [path for path in (ROOT / "autograder").rglob("*.py") if "__pycache__" not in path.parts]
    paths += [path for path in (ROOT / "tools").glob("*.py")]
    existing = {path.relative_to(ROOT).as_posix() for path in paths}
    required = {path.relative_to(ROOT).as_posix() for path in paths
                if not (path.name == "__init__.py" and _only_a_docstring(path))} | {"autograder/__init__.py"}
    named = documented_modules()
    assert not required - named, f"modules missing from {DOC.name}: {sorted(required - named)}"
    assert not named - existing, f"{DOC.name} names modules that do not exist: {sorted(named - existing)}"
