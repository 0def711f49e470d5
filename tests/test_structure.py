"""The house rules a reviewer would otherwise have to remember (docs/architecture.md): short functions, and imports
that run one way, at the top of a module, where a reader looks for them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clients", "workflows", "kpis", "fieldsales")
# Who may import whom: clients ← workflows ← kpis, and every app → fieldsales. fieldsales imports no app, but for the
# modules that put the apps together: the URL confs and the ASGI routing (each app's views and sockets), and the demo
# seed, which builds every app's data.
MAY_IMPORT = {
    "fieldsales": {"fieldsales"},
    "clients": {"clients", "fieldsales"},
    "workflows": {"workflows", "clients", "fieldsales"},
    "kpis": {"kpis", "workflows", "clients", "fieldsales"},
}
COMPOSITION = (
    "fieldsales/demo/",
    "fieldsales/management/commands/seed_demo.py",
    "fieldsales/urls.py",
    "fieldsales/api_urls.py",
    "fieldsales/asgi.py",
)
MAX_LINES = 60


def sources() -> list[Path]:
    return sorted(path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def imported_app(node: ast.Import | ast.ImportFrom) -> list[str]:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    return [name.split(".")[0] for name in names if name.split(".")[0] in APPS]


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sources()
        for node in functions(ast.parse(path.read_text()))
        if node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]
    assert long == []


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it_and_never_from_inside_a_function(app: str) -> None:
    wrong = []
    for path in sources():
        relative = str(path.relative_to(ROOT))
        if not relative.startswith(app + "/") or relative.startswith(COMPOSITION):
            continue
        tree = ast.parse(path.read_text())
        inner = {id(node) for function in functions(tree) for node in ast.walk(function)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in imported_app(node):
                if target not in MAY_IMPORT[app]:
                    wrong.append(f"{relative}:{node.lineno} imports {target}")
                elif id(node) in inner and target != app:
                    wrong.append(f"{relative}:{node.lineno} imports {target} inside a function")
    assert wrong == []
