"""The import graph of the project's own modules, read with ``ast`` only (no app, no database).

Three rules of the house (DESIGN.md, issue #11):
- no import cycle among project modules, counting imports inside functions too;
- no function-level import of a project module: every project import sits at the top of its
  module, so a cycle can't hide in a function (third-party imports inside functions, such as an
  optional driver, are fine);
- no Flask (or Werkzeug) below the HTTP layer, directly or through any project module it imports,
  including the package ``__init__`` modules Python runs on the way.

``python tests/unit/test_import_graph.py`` prints the graph's cycles and offenders.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("plugin", "webhooks", "widgets")
FRAMEWORK = ("flask", "werkzeug")
# The HTTP layer may import Flask; everything else in PACKAGES may not, even transitively.
# In webhooks/ only the receiving path is HTTP: the shared receiving helpers, the registration and
# the WSGI fast path, and each platform's receiver. Inbox, signatures, topics and the payload
# mappers the worker runs stay free of Flask.
HTTP_LAYER = ("plugin.http", "plugin.admin", "plugin.dashboard", "plugin.cli", "plugin.app", "widgets",
              "webhooks.receiving", "webhooks.receivers", "webhooks.direct")
DOMAIN = ("plugin.core", "plugin.program", "plugin.ledger", "plugin.customers", "plugin.tiers", "plugin.earn",
          "plugin.spend", "plugin.dataio", "plugin.privacy", "plugin.reports", "plugin.pipeline",
          "plugin.platforms")

@dataclass
class Module:
    name: str
    is_package: bool
    imports: set[str] = field(default_factory=set)  # project modules, top level and in functions
    nested: set[str] = field(default_factory=set)  # project modules imported inside a function or class
    framework: set[str] = field(default_factory=set)  # Flask/Werkzeug modules imported anywhere


def module_name(path: Path, root: Path = ROOT) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _walk(tree: ast.AST, nested: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every import node with whether it sits inside a function or class body."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, nested
        scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
        inside = nested or isinstance(child, scope)
        yield from _walk(child, inside)


def load_graph(root: Path = ROOT) -> dict[str, Module]:
    paths = [p for package in PACKAGES for p in (root / package).rglob("*.py")]
    modules = {}
    for path in paths:
        name, is_package = module_name(path, root)
        modules[name] = Module(name, is_package)
    for path in paths:
        module = modules[module_name(path, root)[0]]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, nested in _walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve(node, module.name, module.is_package)
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                           for a in node.names]
            for target in targets:
                if target.split(".")[0] in FRAMEWORK:
                    module.framework.add(target)
                while target and target not in modules and target.split(".")[0] in PACKAGES:
                    target = target.rpartition(".")[0]  # `import plugin.x.name` of a non-module name
                if target in modules and target != module.name:
                    module.imports.add(target)
                    if nested:
                        module.nested.add(target)
    return modules


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_http(name: str) -> bool:
    """Modules allowed to import Flask."""
    return _within(name, HTTP_LAYER) or (name.startswith("webhooks.") and name.endswith(".receiver"))


def cycles(modules: dict[str, Module], limit: int = 10_000) -> list[tuple[str, ...]]:
    """Elementary cycles, each rotated to start at its smallest module name (at most ``limit``)."""
    found: list[tuple[str, ...]] = []
    order = sorted(modules)
    for index, start in enumerate(order):
        allowed = set(order[index:])  # a cycle is found once, from its smallest member
        stack = [(start, iter(sorted(modules[start].imports & allowed)))]
        path, on_path = [start], {start}
        while stack and len(found) < limit:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
            elif child == start:
                found.append(tuple(path))
            elif child not in on_path:
                stack.append((child, iter(sorted(modules[child].imports & allowed))))
                path.append(child)
                on_path.add(child)
    return found


def framework_paths(modules: dict[str, Module]) -> dict[str, list[str]]:
    """For each module outside the HTTP layer that reaches Flask: one import chain that does."""
    def runs(name: str) -> set[str]:
        """What importing ``name`` executes first-hand: its own parent packages, its imports and theirs."""
        out = set()
        for target in (name, *modules[name].imports):
            parts = target.split(".")
            out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        return {m for m in out if m in modules and m != name}

    offenders = {}
    for name in sorted(modules):
        if is_http(name):
            continue
        seen, queue = {name: [name]}, [name]
        while queue:
            current = queue.pop(0)
            if modules[current].framework:
                offenders[name] = seen[current] + sorted(modules[current].framework)[:1]
                break
            for target in sorted(runs(current)):
                if target not in seen:
                    seen[target] = seen[current] + [target]
                    queue.append(target)
    return offenders


GRAPH = load_graph()


def test_the_graph_is_read():
    assert {"plugin.admin", "plugin.core.db", "webhooks.receivers"} <= GRAPH["plugin.app"].imports
    assert GRAPH["plugin.ledger"].is_package and "flask" in GRAPH["plugin.app"].framework


def test_it_finds_cycles_imports_in_functions_and_flask_through_a_package(tmp_path):
    files = {
        "plugin/__init__.py": "",
        "plugin/core/__init__.py": "",
        "plugin/core/a.py": "from plugin.core import b\n",
        "plugin/core/b.py": "def later():\n    from . import a\n",
        "plugin/core/c.py": "from webhooks.shop.payloads import x\n",
        "webhooks/__init__.py": "",
        "webhooks/shop/__init__.py": "from webhooks.shop import receiver\n",
        "webhooks/shop/payloads.py": "x = 1\n",
        "webhooks/shop/receiver.py": "import flask\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = load_graph(tmp_path)
    assert cycles(graph) == [("plugin.core.a", "plugin.core.b")]
    assert graph["plugin.core.b"].nested == {"plugin.core.a"}
    assert framework_paths(graph) == {  # the package's __init__ brings its receiver in
        "plugin.core.c": ["plugin.core.c", "webhooks.shop", "webhooks.shop.receiver", "flask"],
        "webhooks.shop": ["webhooks.shop", "webhooks.shop.receiver", "flask"],
        "webhooks.shop.payloads": ["webhooks.shop.payloads", "webhooks.shop", "webhooks.shop.receiver",
                                   "flask"],
    }


def test_no_import_cycles():
    assert [" -> ".join(c + c[:1]) for c in cycles(GRAPH)] == []


def test_no_function_level_imports_of_project_modules():
    nested = {name: sorted(m.nested) for name, m in GRAPH.items() if m.nested}
    assert nested == {}


def test_no_flask_below_the_http_layer():
    assert framework_paths(GRAPH) == {}


def test_the_domain_imports_no_flask_even_transitively():
    domain = {name for name in GRAPH if _within(name, DOMAIN)}
    assert domain, "the domain packages moved: update DOMAIN"
    assert sorted(domain & set(framework_paths(GRAPH))) == []


if __name__ == "__main__":  # pragma: no cover - a report for people
    every = cycles(GRAPH)
    print(f"{len(every)} import cycles")  # noqa: T201
    for cycle in every[:50]:
        print("  " + " -> ".join(cycle + cycle[:1]))  # noqa: T201
    for name, module in sorted(GRAPH.items()):
        if module.nested:
            print(f"function-level: {name} -> {', '.join(sorted(module.nested))}")  # noqa: T201
    for chain in framework_paths(GRAPH).values():
        print(f"flask: {' -> '.join(chain)}")  # noqa: T201
    sys.exit(0)
