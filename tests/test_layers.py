"""The layers as folders: where Starlette may be imported, no import cycles, folders of a size a
reader can take in, and a contract suite that never imports the mock.

ARCHITECTURE.md draws the layers; this module is the one place that names them for the machine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pytest

import contract_tests
import mock_server

PACKAGE = Path(mock_server.__file__).parent
SUITE = Path(contract_tests.__file__).parent
#: Modules in one folder, at most (``__init__.py`` aside): past that a folder splits by role. The
#: top level of each package is its composition and is not counted.
FOLDER_MODULES = 12

#: Where Starlette (the wire) may be imported: the composition in ``app.py``, the folders that are
#: the wire (``http/`` the public API, ``control/`` the ``/_mock/`` plane, ``serving/`` and
#: ``testing/`` which run servers), and, inside a feature folder, the modules whose role is the wire
#: (moto's ``urls.py``/``responses.py``). Every other module, found by glob, must import without it.
WIRE = (
    "__main__.py",
    "__init__.py",
    "app.py",
    "pytest_plugin.py",
    "http/*",
    "control/*",
    "serving/*",
    "testing/*",
    "*/routes.py",
    "*/middleware.py",
    "*/responses.py",
)


def _relative(path: Path, root: Path = PACKAGE) -> PurePosixPath:
    return PurePosixPath(path.relative_to(root).as_posix())


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = [root.name, *_relative(path, root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path = PACKAGE) -> list[Path]:
    return sorted(root.rglob("*.py"))


def _matches(path: Path, pattern: str) -> bool:
    """Whole-path glob, one segment per ``/`` ("http/*" matches nothing deeper than ``http/``)."""
    parts = _relative(path).parts
    wanted = PurePosixPath(pattern).parts
    return len(parts) == len(wanted) and all(map(fnmatchcase, parts, wanted))


def _is_wire(path: Path) -> bool:
    return any(_matches(path, pattern) for pattern in WIRE)


def http_free_modules() -> list[str]:
    return [_module_name(path) for path in _modules() if not _is_wire(path)]


#: Imports each named module without running ``mock_server/__init__.py`` (which builds the app),
#: printing after each which starlette modules have come along so far: the first line that is not
#: empty names the module that pulled starlette in.
_PROBE = """
import importlib, importlib.util, sys, types
found = importlib.util.find_spec("mock_server")
package = types.ModuleType("mock_server")
package.__path__ = list(found.submodule_search_locations)
sys.modules["mock_server"] = package
for name in sys.argv[1:]:
    importlib.import_module(name)
    print(name, sorted(module for module in sys.modules if module.split(".")[0] == "starlette")[:3])
"""


def _probe(*modules: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_modules_off_the_wire_do_not_import_starlette() -> None:
    modules = http_free_modules()
    assert _probe(*modules) == [f"{module} []" for module in modules]


def test_the_layer_rule_covers_the_core_folders() -> None:
    covered = {name.split(".")[1] for name in http_free_modules() if name.count(".") >= 1}
    assert {"generation", "imaging", "state", "s3", "journal", "faults", "proxy", "gallery"} <= covered
    assert {"mock_server.settings", "mock_server.runtime", "mock_server.errors"} <= set(http_free_modules())


def test_every_wire_pattern_names_modules_that_exist() -> None:
    for pattern in WIRE:
        assert any(_matches(path, pattern) for path in _modules()), pattern


def test_the_probe_sees_starlette_where_it_is_used() -> None:
    (line,) = _probe("mock_server.http.parsing")
    assert line.startswith("mock_server.http.parsing ['starlette"), line


def _imports(path: Path, root: Path = PACKAGE) -> Iterator[str]:
    """Every module (or name in a module) that ``path`` imports, anywhere in it (functions and
    ``TYPE_CHECKING`` blocks too: a cycle hidden in a function is still a cycle)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            for alias in node.names:
                yield f"{base}.{alias.name}"  # a submodule if one exists, else a name in ``base``


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Which modules of the package at ``root`` each of its modules imports."""
    known = {_module_name(path, root) for path in _modules(root)}
    graph: dict[str, set[str]] = {}
    for path in _modules(root):
        edges = set()
        for target in _imports(path, root):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                edges.add(target)
        graph[_module_name(path, root)] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module importing itself
    (Tarjan's algorithm, iterative so that a deep chain cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return found


@pytest.mark.parametrize("root", [PACKAGE, SUITE], ids=lambda root: root.name)
def test_no_import_cycles(root: Path) -> None:
    assert cycles(import_graph(root)) == []


def test_the_contract_suite_never_imports_the_mock() -> None:
    """The suite is an independent oracle: what it shares with the mock is a twin, never an import."""
    found = {
        f"{_module_name(path, SUITE)} imports {target}"
        for path in _modules(SUITE)
        for target in _imports(path, SUITE)
        if target == "mock_server" or target.startswith("mock_server.")
    }
    assert not found


@pytest.mark.parametrize("root", [PACKAGE, SUITE], ids=lambda root: root.name)
def test_no_folder_holds_more_modules_than_a_reader_takes_in(root: Path) -> None:
    crowded = {
        _relative(folder, root).as_posix(): count
        for folder in {path.parent for path in _modules(root)} - {root}
        if (count := len([path for path in folder.glob("*.py") if path.name != "__init__.py"])) > FOLDER_MODULES
    }
    assert not crowded, f"split these folders by role: {crowded}"


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"a"}}, [["a"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_the_import_graph_sees_function_local_imports() -> None:
    graph = import_graph()
    assert "mock_server.serving.launcher" in graph["mock_server.cli"]
    assert "mock_server.app" in graph["mock_server.testing"]


def _drawn_folders() -> set[str]:
    """The folders named at the start of a line of ARCHITECTURE.md's layer drawing."""
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    drawing = text.split("## Layers", 1)[1].split("```", 2)[1]
    return {
        line.split()[0].rstrip("/")
        for line in drawing.splitlines()
        if line.startswith("  ") and line.split()[0].endswith("/")
    }


def test_the_architecture_drawing_names_exactly_the_folders_that_exist() -> None:
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert _drawn_folders() == folders
