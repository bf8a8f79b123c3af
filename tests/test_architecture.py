"""The domains build on each other one way: no import, at module level or inside a function, closes a cycle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _domain_imports() -> dict[tuple[str, str], list[str]]:
    """(importing domain, imported domain) -> where, for every import between two packages of app/."""
    domains = {p.name for p in APP.iterdir() if (p / "__init__.py").exists()}
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP).parts
        if len(parts) < 2:
            continue  # app/*.py: the kernel (db, errors, extensions, realtime) every domain uses
        source = parts[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names] if node.module == "app" else [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "app" and len(bits) > 1 and bits[1] in domains and bits[1] != source:
                    edges[(source, bits[1])].append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    return edges


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycle_between_domains():
    edges = _domain_imports()
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    cycle = _a_cycle(graph)
    if cycle:
        where = "\n".join(f"  {a} -> {b}: {', '.join(edges[(a, b)])}" for a, b in zip(cycle, cycle[1:], strict=False))
        raise AssertionError(f"import cycle {' -> '.join(cycle)}:\n{where}")


def test_the_cycle_finder_finds_one():
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_the_foundations_import_no_domain_above_them():
    """The kernel packages (core, outbox) and staff sign-in sit under every domain."""
    edges = _domain_imports()
    allowed = {"core": set(), "outbox": {"core", "jobs", "staff"}, "staff": {"core"}}
    for (source, target), where in edges.items():
        if source in allowed:
            assert target in allowed[source], f"{source} must not import {target}: {where}"
