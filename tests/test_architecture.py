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


DOOR_MODULES = ("routes.py", "api.py", "staff.py", "phone.py", "events.py")
# Checkout commits its new prices with the 409, and the order before the card is charged.
OWN_TRANSACTIONS = {("app/orders/api.py", "checkout")}


def _is_door_module(path: Path) -> bool:
    name = path.name
    return name in DOOR_MODULES or name.endswith("_routes.py") or (name.startswith("api_") and name.endswith(".py"))


def _hand_commits(path: Path, tree: ast.AST) -> list[tuple[str, int]]:
    """(function, line) of every ``db.session.commit()`` call in a module."""
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
                and ast.unparse(node.func.value) == "db.session"
            ):
                found.append((func.name, node.lineno))
    return found


def test_request_doors_do_not_commit_by_hand():
    """Pages, API views and Socket.IO handlers write through ``@writes`` / ``@socket_writes``."""
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in sorted((root / "app").rglob("*.py")):
        if not _is_door_module(path):
            continue
        relative = path.relative_to(root).as_posix()
        for func, line in _hand_commits(path, ast.parse(path.read_text())):
            if (relative, func) not in OWN_TRANSACTIONS:
                offenders.append(f"{relative}:{line} in {func}()")
    assert not offenders, "commit through the transaction door instead:\n" + "\n".join(sorted(set(offenders)))


def test_the_hand_commit_finder_finds_one():
    tree = ast.parse("def view():\n    db.session.commit()\n")
    assert _hand_commits(Path("routes.py"), tree) == [("view", 2)]
    assert _is_door_module(Path("app/members/api_identity.py")) and not _is_door_module(Path("app/x/cli.py"))
