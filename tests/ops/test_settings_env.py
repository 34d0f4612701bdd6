"""Every setting goes through coop/env.py (issue 12, item 7), checked on the source:

* only ``coop/env.py`` touches ``os.environ`` / ``os.getenv`` — settings.py calls its typed readers, and
  the code reads ``settings.X``. The one exception is the entry points (wsgi, asgi, celery) naming the
  settings module with ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)`` before any setting exists;
* the typed readers (``env_str``, ``env_bool``, …) are called in ``coop/settings.py`` only, so every
  variable is a declared setting;
* no ``getattr(settings, …)``: a setting is declared once in settings.py, with its default, and code
  uses ``settings.X`` (a typo is then an AttributeError, not a silent default);
* every variable read from the environment is a row of README.md's configuration table.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("coop", "orders", "quality")
ENV_MODULE = Path("coop/env.py")
SETTINGS_MODULE = Path("coop/settings.py")
ENTRY_POINTS = {Path("coop/wsgi.py"), Path("coop/asgi.py"), Path("coop/celery.py")}
READERS = {"env_str", "env_bool", "env_int", "env_list", "env_url"}


def sources():
    """{path relative to the root: parsed module} of every Python file of the three apps."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            found[rel] = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
    return found


def _is_os_environ(node):
    return isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb", "putenv") \
        and isinstance(node.value, ast.Name) and node.value.id == "os"


def _is_settings_module_default(node):
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)``: naming the settings, not reading one."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault"
            and _is_os_environ(node.func.value) and node.args and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE")


def environment_uses(rel, tree):
    """Lines of ``rel`` that read the environment other than through coop/env.py."""
    allowed = set()
    if rel in ENTRY_POINTS:
        for node in ast.walk(tree):
            if _is_settings_module_default(node):
                allowed.add(id(node.func.value))
    lines = []
    for node in ast.walk(tree):
        if _is_os_environ(node) and id(node) not in allowed:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and \
                {a.name for a in node.names} & {"environ", "getenv", "environb", "putenv"}:
            lines.append(node.lineno)
    return sorted(lines)


def settings_getattrs(tree):
    """Lines calling ``getattr(settings, ...)`` / ``hasattr(settings, ...)`` (whatever the settings object is
    called locally when imported from django.conf)."""
    names = {"settings"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.conf":
            names |= {a.asname or a.name for a in node.names if a.name == "settings"}
    return sorted(node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr") and node.args
            and isinstance(node.args[0], ast.Name) and node.args[0].id in names)


def reader_calls(tree):
    """[(reader, variable name or None, line)] for every call of a coop/env.py reader."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else None
            if func in READERS:
                name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                calls.append((func, name, node.lineno))
    return calls


def readme_variables():
    """The variables listed in the first column of README.md's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Configuration\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md has no '## Configuration' section"
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", section.group(1), re.M))


def test_only_env_py_reads_the_environment():
    offenders = [f"{rel}:{line}" for rel, tree in sources().items() if rel != ENV_MODULE
                 for line in environment_uses(rel, tree)]
    assert not offenders, ("read the environment through coop/env.py and a setting in coop/settings.py, not "
                           f"os.environ: {offenders}")


def test_the_env_readers_are_called_in_settings_only():
    offenders = [f"{rel}:{line} {func}({name!r})" for rel, tree in sources().items()
                 if rel not in (ENV_MODULE, SETTINGS_MODULE) for func, name, line in reader_calls(tree)]
    assert not offenders, f"declare the setting in coop/settings.py and read settings.X: {offenders}"


def test_every_variable_name_is_a_plain_string():
    tree = sources()[SETTINGS_MODULE]
    unnamed = [line for _func, name, line in reader_calls(tree) if not isinstance(name, str)]
    assert not unnamed, f"coop/settings.py reads a variable whose name is not a literal, lines {unnamed}"


def test_no_getattr_on_settings():
    offenders = [f"{rel}:{line}" for rel, tree in sources().items() for line in settings_getattrs(tree)]
    assert not offenders, f"declare the setting in coop/settings.py and use settings.X: {offenders}"


def test_every_environment_variable_is_in_the_readme_table():
    read = {name for _func, name, _line in reader_calls(sources()[SETTINGS_MODULE])}
    assert read, "found no env_* calls in coop/settings.py: the check is broken"
    missing = sorted(read - readme_variables())
    assert not missing, f"add these to README.md's configuration table: {missing}"


def test_the_checks_catch_what_they_are_for():
    bad = ast.parse("import os\nfrom os import getenv\nfrom django.conf import settings as s\n"
                    "a = os.environ.get('A')\nb = os.getenv('B')\nc = getattr(s, 'C', 1)\n"
                    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'coop.settings')\nd = env_str('D')\n")
    assert environment_uses(Path("coop/services/x.py"), bad) == [2, 4, 5, 7]
    assert environment_uses(Path("coop/wsgi.py"), bad) == [2, 4, 5]
    assert settings_getattrs(bad) == [6]
    assert reader_calls(bad) == [("env_str", "D", 8)]
    assert {"DEBUG", "SECRET_KEY"} <= readme_variables()
