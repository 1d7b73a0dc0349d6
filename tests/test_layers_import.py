"""The layers of the package, read from the source with ``ast`` (nothing is imported): shared
modules at the bottom, each method's estimator and engine above them, the consumers of results
(the front door, compare, report, matrix, ...) on top. docs/design.md draws the map.

Every import counts, at the top of a module or inside a function. A new module must be placed
in one of the layers below, or the first test fails and says where to place it.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bayesmi"

#: Shared modules: used by every method and every consumer; they know no method.
SHARED = {
    "bayesmi._io",
    "bayesmi.arviz_io",
    "bayesmi.copula",
    "bayesmi.exceptions",
    "bayesmi.intervals",
    "bayesmi.mixture",
    "bayesmi.plotting",
    "bayesmi.resampling",
    "bayesmi.result",
    "bayesmi.truth",
    "bayesmi.validation",
}
#: Engines that are packages of their own (public, documented): the neural critics and their
#: training, the batched torch estimators. Like shared modules, they know no estimator.
ENGINES = ("bayesmi.neural", "bayesmi.torch")
#: The estimators and their private engines.
ESTIMATORS = ("bayesmi.estimators",)
#: The consumers of results: they read the registry and the result's fields.
CONSUMERS = (
    "bayesmi",  # the package's __init__: re-exports
    "bayesmi.api",
    "bayesmi.cli",
    "bayesmi.compare",
    "bayesmi.latent_sweep",
    "bayesmi.layers",
    "bayesmi.matrix",
    "bayesmi.report",
)
#: Imports that cross a layer downwards on purpose, with the reason.
ALLOWED = {
    # bm.load reads any file bayesmi writes: a LayerMI file is handed to LayerMI.load, imported
    # only when such a file is met.
    ("bayesmi.arviz_io", "bayesmi.layers"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _in(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _imports(name: str, path: Path) -> set[str]:
    """The bayesmi modules (or packages) that module ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # "from bayesmi import x": x may be a module; count both the package and bayesmi.x
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in out if m == "bayesmi" or m.startswith("bayesmi.")}


MODULES = _modules()


def _consumers() -> list[str]:
    return [c for c in CONSUMERS if c != "bayesmi"]


def test_every_module_has_a_layer():
    placed = lambda m: (  # noqa: E731
        m == "bayesmi" or m in SHARED or _in(m, (*ENGINES, *ESTIMATORS, *_consumers()))
    )
    unplaced = [m for m in MODULES if not placed(m)]
    assert not unplaced, (
        f"{unplaced}: place each in SHARED, ENGINES, ESTIMATORS or CONSUMERS of "
        "tests/test_layers_import.py (and on the map in docs/design.md)"
    )


def _crossings(importers, forbidden) -> list[str]:
    bad = []
    for name, path in MODULES.items():
        if not importers(name):
            continue
        for target in sorted(_imports(name, path)):
            allowed = any(name == a and _in(target, [b]) for a, b in ALLOWED)
            if target != "bayesmi" and forbidden(target) and not allowed:
                bad.append(f"{name} imports {target}")
    return bad


@pytest.mark.parametrize(
    ("layer", "importers"),
    [
        ("shared modules", lambda m: m in SHARED),
        ("engines", lambda m: _in(m, ENGINES)),
    ],
)
def test_shared_modules_and_engines_import_no_estimator_and_no_consumer(layer, importers):
    bad = _crossings(importers, lambda t: _in(t, ESTIMATORS) or _in(t, _consumers()))
    assert not bad, f"{layer} must know no method and no consumer: {bad}"


def test_estimators_never_import_the_consumers():
    bad = _crossings(lambda m: _in(m, ESTIMATORS), lambda t: _in(t, _consumers()))
    assert not bad, f"estimators must not import the front door, compare, report, matrix: {bad}"


def test_the_checks_see_imports_inside_functions():
    # The rules are only as good as the parser: an import inside a function counts.
    found = _imports("bayesmi.arviz_io", MODULES["bayesmi.arviz_io"])
    assert "bayesmi.layers" in found and "bayesmi._io" in found
    ksg = _imports("bayesmi.estimators.ksg", MODULES["bayesmi.estimators.ksg"])
    assert "bayesmi.estimators._knn" in ksg
