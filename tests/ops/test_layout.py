"""The layout rule of docs/ARCHITECTURE.md, checked: every file where the rule says, no import cycle,
the app direction coop ← orders ← quality, no model importing a service, task names unchanged.

The areas each app may use are read from the table in docs/ARCHITECTURE.md, so the document and the
tree cannot drift apart: a new area is added to the table first.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("coop", "orders", "quality")
LAYERS = ("models", "services", "views", "api", "admin")
# Django's standard single files of an app, and the project plumbing that stays at the root of coop/.
APP_FILES = {"__init__.py", "apps.py", "urls.py", "tasks.py", "forms.py", "demo.py", "signals.py"}
PROJECT_FILES = {"settings.py", "env.py", "celery.py", "wsgi.py", "asgi.py"}
APP_DIRS = set(LAYERS) | {"migrations", "management", "templatetags", "__pycache__"}

# Every Celery task name as it was before the relayout: queued messages and the beat schedule use them.
TASK_NAMES = {
    "coop.ping",
    "coop.notifications.requeue_stuck",
    "coop.tasks.run_settlement",
    "coop.tasks.send_notification",
    "orders.tasks.cancel_unpaid_orders",
    "orders.tasks.close_due_group_buys",
    "orders.tasks.confirm_received_orders",
    "orders.tasks.deliver_sandbox_notification",
    "orders.tasks.reconcile_trade_bill",
    "orders.tasks_programmes.remind_pledges",
    "quality.tasks.apply_due_penalties",
    "quality.tasks.flush_scans",
    "quality.tasks.make_label_sheet",
    "quality.tasks.notify_recall_buyers",
    "quality.tasks.reconcile",
}


def areas_table():
    """{app: set of areas} and the allowed coop/lib modules, from the tables in docs/ARCHITECTURE.md."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    areas = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*`(coop|orders|quality)`\s*\|\s*`(\w+)`\s*\|", line)
        if match:
            areas.setdefault(match.group(1), set()).add(match.group(2))
    lib = set(re.findall(r"\|\s*`coop/lib/(\w+)\.py`\s*\|", text))
    return areas, lib


def python_modules():
    """{dotted name: path} of every module of the three apps, migrations aside."""
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = python_modules()


def is_package(name):
    return MODULES[name].name == "__init__.py"


def resolve(module, node):
    """The modules an import statement in ``module`` reaches (our own modules only)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".")
            if not is_package(module):
                base = base[:-1]
            base = base[: len(base) - node.level + 1]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module
        targets = []
        for alias in node.names:
            sub = f"{prefix}.{alias.name}"
            targets.append(sub if sub in MODULES else prefix)
    reached = []
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target:
            reached.append(target)
    return reached


def imports():
    """{module: [(target, lineno, inside_function)]} for every import of our own modules."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = []
        nested = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        nested.add(id(inner))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in resolve(module, node):
                    edges.append((target, node.lineno, id(node) in nested))
        graph[module] = edges
    return graph


GRAPH = imports()


def test_every_app_has_the_same_layer_folders():
    for app in APPS:
        for layer in LAYERS:
            assert (ROOT / app / layer / "__init__.py").exists(), f"{app}/{layer}/ is missing"


def test_every_file_is_where_the_rule_says():
    areas, lib = areas_table()
    assert set(areas) == set(APPS), "docs/ARCHITECTURE.md must list the areas of every app"
    misplaced = []
    for app in APPS:
        for entry in (ROOT / app).iterdir():
            if entry.is_dir():
                allowed = APP_DIRS | ({"lib"} if app == "coop" else set())
                if entry.name not in allowed and not entry.name.startswith("."):
                    misplaced.append(f"{app}/{entry.name}/ is not a layer folder")
            elif entry.suffix == ".py":
                allowed = APP_FILES | (PROJECT_FILES if app == "coop" else set())
                if entry.name not in allowed:
                    misplaced.append(f"{app}/{entry.name} belongs in a layer folder or coop/lib/")
        for layer in LAYERS:
            for entry in (ROOT / app / layer).iterdir():
                name = entry.stem if entry.suffix == ".py" else entry.name
                if name in ("__init__", "__pycache__", "base"):
                    continue
                if name not in areas[app]:
                    misplaced.append(f"{app}/{layer}/{entry.name}: '{name}' is not an area of {app}")
    for entry in (ROOT / "coop" / "lib").glob("*.py"):
        if entry.stem != "__init__" and entry.stem not in lib:
            misplaced.append(f"coop/lib/{entry.name} is not listed in docs/ARCHITECTURE.md")
    assert not misplaced, "\n".join(misplaced)


def test_no_kind_prefixed_modules_beside_layer_folders():
    """The old pattern (admin_books.py, views_trace.py, tasks_charter.py, api_support.py) is gone."""
    kinds = LAYERS + ("tasks", "forms", "urls", "signals", "demo")
    pattern = re.compile(rf"^({'|'.join(kinds)})_\w+\.py$|^\w+_({'|'.join(kinds)})\.py$")
    folders = [ROOT / app for app in APPS] + [ROOT / app / layer for app in APPS for layer in LAYERS]
    found = [str(p.relative_to(ROOT)) for folder in folders for p in folder.glob("*.py") if pattern.match(p.name)]
    assert not found, found


def test_imports_inside_functions_say_why():
    """An import inside a function hides a cycle unless it is a true runtime need, said in a comment."""
    unexplained = []
    for module, edges in GRAPH.items():
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for _target, lineno, nested in edges:
            if not nested:
                continue
            here, above = lines[lineno - 1], lines[lineno - 2] if lineno > 1 else ""
            if "#" not in here and not above.strip().startswith("#"):
                unexplained.append(f"{MODULES[module].relative_to(ROOT)}:{lineno}: {here.strip()}")
    assert not unexplained, "\n".join(unexplained)


def module_level_graph():
    graph = {}
    for module, edges in GRAPH.items():
        targets = set()
        for target, _lineno, nested in edges:
            if nested or target == module:
                continue
            # A package's __init__ re-exporting its own modules is not a dependency of theirs on it.
            if is_package(module) and target.startswith(module + "."):
                continue
            targets.add(target)
        graph[module] = targets
    return graph


def find_cycle(graph):
    """One cycle as a list of modules, or None (iterative depth-first search)."""
    state = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_no_import_cycles():
    cycle = find_cycle(module_level_graph())
    assert cycle is None, " → ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_apps_depend_in_one_direction():
    """coop ← orders ← quality; coop's settings, root urls and WSGI entry point assemble all three."""
    rank = {"coop": 0, "orders": 1, "quality": 2}
    assembled = {"coop.settings", "coop.urls", "coop.wsgi"}  # wsgi: the scan page's fast path goes in front
    wrong = []
    for module, edges in GRAPH.items():
        if module in assembled:
            continue
        for target, lineno, _nested in edges:
            if rank[target.split(".")[0]] > rank[module.split(".")[0]]:
                wrong.append(f"{module}:{lineno} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_models_never_import_services_and_services_never_import_tasks():
    wrong = []
    for module, edges in GRAPH.items():
        parts = module.split(".")
        for target, lineno, _nested in edges:
            tparts = target.split(".")
            if len(parts) > 1 and parts[1] == "models" and len(tparts) > 1 and tparts[1] != "models" \
                    and tparts[1] not in ("lib", "env"):
                wrong.append(f"{module}:{lineno} (a model) imports {target}")
            if len(parts) > 1 and parts[1] == "services" and tparts[1:] == ["tasks"]:
                wrong.append(f"{module}:{lineno} (a service) imports {target}")
    assert not wrong, "\n".join(wrong)


def test_task_names_are_unchanged():
    from coop.celery import app

    app.loader.import_default_modules()
    registered = {name for name in app.tasks if not name.startswith("celery.")}
    assert registered == TASK_NAMES


def test_the_beat_schedule_names_registered_tasks():
    from django.conf import settings

    from coop.celery import app

    app.loader.import_default_modules()
    missing = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - set(app.tasks)
    assert not missing


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[-1] == "tasks"))
def test_tasks_modules_only_import(module):
    """``<app>/tasks.py`` only imports the tasks that live beside their services (for autodiscovery)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    body = [node for node in tree.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert all(isinstance(node, ast.Import | ast.ImportFrom) for node in body)
