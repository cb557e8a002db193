"""The package's shape: imports point one way through the layers, no cycles, no giant modules or functions.

The layers, from the bottom (see ``docs/architecture.md``): the base modules, the park's
configuration, the parcel rules and the network model, the store, the analyses, exchange and
siting, the maps and the demo, the API, the CLI. A module may import from its own package and
from lower layers only, whether at the top of the file or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"

LAYERS: dict[str, int] = {
    # base: the words, units, errors and reference systems every layer shares
    "__init__": 0, "errors": 0, "units": 0, "resources": 0, "vocab": 0, "inputs": 0, "failpoints": 0, "frames": 0,
    "crs": 1, "codes": 1, "fields": 1,
    "config": 2,
    "parcels": 3, "infra": 3,
    "store": 4,
    "analysis": 5, "land": 5, "province": 5,
    "exchange": 6, "siting": 6, "buildout": 6, "edits": 6,
    "maps": 7, "demo": 7,
    "api": 8,
    "cli": 9,
}  # fmt: skip
"""Each top-level module or package of ``planner`` and its layer: it may import only from lower layers."""

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

DATA_TABLES = {"planner.parcels.schema:_fields", "planner.store.gpkg_format:core_tables_sql"}
"""Functions that are data tables (the parcel field dictionary, the GeoPackage's SQL), exempt from the length limit."""

KNOWN_LONG_MODULES: set[str] = set()
"""Modules over the limit that are still to be split (empty: none)."""
KNOWN_LONG_FUNCTIONS: set[str] = set()
"""Functions over the limit that are still to be split (empty: none)."""
KNOWN_CYCLES: list[list[str]] = []
"""Import cycles still to be broken (empty: none)."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(module: str, path: Path) -> set[str]:
    """The planner modules ``module`` imports, anywhere in the file (resolved to modules that exist)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: from the module's package
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.split(".")[0] != "planner":
                continue
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = nx.DiGraph()
for _module, _path in MODULES.items():
    GRAPH.add_node(_module)
    for _target in _imports(_module, _path):
        if _target != "planner" or _unit(_module) != "__init__":
            GRAPH.add_edge(_module, _target)


def test_every_top_level_module_has_a_layer():
    assert {_unit(m) for m in MODULES} == set(LAYERS)


def test_imports_point_down_the_layers():
    wrong = [
        f"{a} (layer {LAYERS[_unit(a)]}) imports {b} (layer {LAYERS[_unit(b)]})"
        for a, b in GRAPH.edges
        if _unit(a) != _unit(b) and LAYERS[_unit(b)] >= LAYERS[_unit(a)] and _unit(b) != "__init__"
    ]
    assert wrong == []


def test_no_import_cycle():
    cycles = sorted(sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1)
    assert cycles == KNOWN_CYCLES


def test_nothing_imports_the_api_or_the_cli():
    users = {a for a, b in GRAPH.edges if _unit(b) in ("api", "cli") and _unit(a) not in ("api", "cli")}
    assert users == set()
    assert {a for a, b in GRAPH.edges if _unit(b) == "cli" and _unit(a) != "cli"} == set()


def test_the_store_knows_no_rules():
    rules = {"analysis", "siting", "exchange", "maps", "demo", "province"}
    assert {b for a, b in GRAPH.edges if _unit(a) == "store" and _unit(b) in rules} == set()


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The import reader finds imports inside functions and relative ones (so the checks above can fail)."""
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from planner.api.app import create_app\nfrom ..cli import app\n")
    assert _imports("planner.store.mod", path) >= {"planner.api.app", "planner.cli"}


def _long_functions() -> dict[str, int]:
    found = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{module}:{node.name}" not in DATA_TABLES:
                    found[f"{module}:{node.name}"] = length
    return found


def test_no_module_over_the_limit():
    long = {
        m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert set(long) - KNOWN_LONG_MODULES == set(), long
    assert KNOWN_LONG_MODULES - set(long) == set(), "split already: take them off KNOWN_LONG_MODULES"


def test_no_function_over_the_limit():
    long = _long_functions()
    assert set(long) - KNOWN_LONG_FUNCTIONS == set(), long
    assert KNOWN_LONG_FUNCTIONS - set(long) == set(), "split already: take them off KNOWN_LONG_FUNCTIONS"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_what_it_is_for(module):
    assert ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8"))), module
