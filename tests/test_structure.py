"""The house rules a reader relies on: floors imported only downwards, no import cycle, short modules.

Apps import only the floors below them (reports → runs → teams → accounts);
module-level imports between project modules form no cycle; no module in
runs/ or reports/ is over 400 lines (migrations aside).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["reports", "runs", "teams", "accounts"]  # each may import the ones after it
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for app in [*FLOORS, "config"]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _module_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules imported at module level (not inside functions, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                imported.add(source)
                imported.update(f"{source}.{alias.name}" for alias in node.names)

    visit(tree.body)
    return {module for module in imported if module in known and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _module_level_imports(name, path, known) for name, path in modules.items()}


def test_apps_import_only_the_floors_below_them():
    upward = []
    for module, imports in _graph().items():
        app = module.split(".")[0]
        if app not in FLOORS:
            continue
        above = set(FLOORS[: FLOORS.index(app)])
        upward += [f"{module} imports {target}" for target in imports if target.split(".")[0] in above]
    assert not upward, "imports going up a floor:\n" + "\n".join(sorted(upward))


def test_no_import_cycle_between_project_modules():
    graph = _graph()
    cycles, state = [], {}

    def walk(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" → ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                walk(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_in_runs_or_reports_is_over_400_lines():
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for app in ("runs", "reports")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and (count := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert not long, "split these modules:\n" + "\n".join(long)
