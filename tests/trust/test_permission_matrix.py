"""The permission matrix: every URL pattern × every persona × read and write, against the table in
``tests/trust/matrix.py``.

The patterns come from the URL configuration itself (``get_resolver()``), so a new endpoint without
a table entry fails here with the line to add. Each pattern is filled with real rows of cooperative A
(its household, its buyer, its programme) from the fixture world, and every answer given to someone
outside cooperative A is searched for household A's name and phone: zero leaks.

``TRUST_MATRIX_PRINT=1 pytest tests/trust/test_permission_matrix.py -s`` prints the observed table
(to review a change, never to paste blindly).
"""

import logging
import os
import re
from urllib.parse import urlparse

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.trust import matrix
from tests.trust.world import SECRET_MARKERS_A

pytestmark = pytest.mark.django_db

MISSING_ID = 987654

# Which model a pattern's ``pk`` is, by URL name (API basenames and pages).
PK_MODEL = {
    "cooperative": "coop.cooperative", "village": "coop.village", "farmer": "coop.farmer",
    "delivery": "coop.delivery", "batch": "coop.batch", "ledger": "coop.ledgerentry",
    "settlement": "coop.settlement", "trace-batch": "coop.batch", "trace-label-sheet": "quality.labelsheet",
    "report": "quality.badeggreport", "penalty": "quality.penalty", "charter": "quality.charter",
    "appeal": "quality.appeal", "product": "orders.product", "programme": "orders.programme",
    "pledge": "orders.pledge", "statement": "orders.statement",
    "books-delivery-confirm": "coop.delivery",
    "books-receipt": "coop.delivery", "books-run": "coop.settlementrun", "books-payslip": "coop.settlement",
    "books-payslip-pdf": "coop.settlement", "farmer-delivery": "coop.delivery", "farmer-payslip": "coop.settlement",
    "farmer-penalty": "quality.penalty", "farmer-appeal": "quality.penalty", "shop:product": "orders.product",
    "shop:product-poster": "orders.product", "shop:manage-product-photos": "orders.product",
    "shop:manage-product-photo-delete": "orders.product", "shop:programme-report": "orders.programme",
    "shop:programme-report-xlsx": "orders.programme", "shop:programme-issue": "orders.programme",
    "trace-batch-label-sheets": "coop.batch", "report-photo": "quality.reportphoto",
    "shop:aftersale-photo": "orders.aftersalephoto", "trace-batch-recall": "coop.batch",
    "admin:quality_badeggreport_confirm": "quality.badeggreport",
    "admin:quality_badeggreport_dismiss": "quality.badeggreport",
    "admin:quality_badeggreport_investigate": "quality.badeggreport",
    "admin:quality_penalty_appeal": "quality.penalty", "admin:quality_penalty_reverse": "quality.penalty",
    "admin:quality_tracecode_recall": "quality.tracecode", "admin:quality_tracecode_sheet": "quality.tracecode",
}

# Who walks an admin model's add/history/delete/redirect views (all personas walk its list and form).
ADMIN_SPOT = {"manager_a", "manager_b", "anonymous", "farmer"}
OBJECT_ROUTE = re.compile(r"\(\?P<(pk|number|code)>\[\^/\.\]\+\)/\$$")
ADMIN_MODEL_URL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")
FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?\$$|<drf_format_suffix:format>$")


def walk(resolver=None, prefix="", ns=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}".strip(":") if p.namespace else ns
            yield from walk(p, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
            yield prefix + str(p.pattern), name, p


def pattern_key(route):
    """The table key of a route: format-suffix variants share their base pattern's entry."""
    return FORMAT_SUFFIX.sub("", route) if FORMAT_SUFFIX.search(route) else route


def admin_model_of(route):
    m = ADMIN_MODEL_URL.match(route)
    if m and (m["app"], m["model"]) in {(mo._meta.app_label, mo._meta.model_name) for mo in admin_site._registry}:
        return f"{m['app']}.{m['model']}"
    return None


def kwargs_for(route, name, world):
    """Concrete arguments for a pattern: real rows of cooperative A."""
    o = world.obj
    order_a = world.orders["a"]
    statement = o("orders.statement")
    report = o("quality.badeggreport")
    values = {
        "code": world.codes["a"], "number": order_a.number, "provider": "sandbox", "app_label": "coop",
        "village": str(o("coop.village").pk), "what": "deliveries", "fmt": "csv", "reference": report.reference,
        "gtin": "06901234567892", "lot": o("coop.batch").code, "serial": None, "rest": "nothing",
        "batch_id": o("coop.batch").pk, "sheet_id": MISSING_ID, "out_trade_no": "NOPE", "url": "nowhere/",
        "path": "nothing.txt", "format": "json", "id": world.personas.manager_a.pk,
        "address_id": o("orders.address").pk, "province": "51",
    }
    if name.startswith("shop:groupbuy") or name.startswith("group-buy"):
        values["code"] = o("orders.groupbuy").code
    if name in ("shop:programme-link", "shop:programme-poster") or route == "shop/p/<str:code>/":
        values["code"] = o("orders.programme").code
    if name in ("shop:programme-verify", "shop:programme-statement-pdf"):
        values["code"] = statement.code
    if name in ("admin:view_on_site",):
        values.update(content_type_id=ContentType.objects.get_for_model(o("coop.farmer")).pk,
                      object_id=o("coop.farmer").pk)
    model = admin_model_of(route)
    if model:
        row = o(model)
        values["object_id"] = row.pk if row is not None else MISSING_ID
    base = name.split(":")[-1].rsplit("-", 1)[0] if "-" in name else name
    label = PK_MODEL.get(name) or PK_MODEL.get(base) or PK_MODEL.get(name.replace("-detail", ""))
    if label:
        row = o(label)
        values["pk"] = row.pk if row is not None else MISSING_ID
    return values


def concrete(route, name, world):
    """The route with its parameters filled (regex or path syntax)."""
    values = kwargs_for(route, name, world)
    url = route

    def regex_sub(m):
        value = values.get(m.group(1))
        return "" if value is None else str(value)

    if route != route.replace("(?P<", ""):  # a regex route: fill its named groups, drop optional parts
        url = re.sub(r"\(\?:/21/\(\?P<serial>[^)]*\)\)\?", "", url)
        url = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", regex_sub, url)
    else:
        url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(values.get(m.group(2), MISSING_ID)), url)
    url = url.replace("^", "").replace("$", "").replace("\\", "").replace("/?", "/")
    url = url.replace("(?:/21/)?", "")
    return "/" + url


def outcome(response):
    """``ok`` (served) or ``no`` (refused: 401/403/404/405, or sent to a sign-in page)."""
    code = response.status_code
    if code in (401, 403, 404, 405):
        return "no"
    if code in (301, 302, 303, 307, 308):
        target = urlparse(response.headers.get("Location", "")).path
        if "login" in target or target.rstrip("/") == "/admin":
            return "no"
        return "ok"
    if code >= 500:
        return "error"
    return "ok"


def persona_users(world):
    p = world.personas
    return {
        "manager_a": p.manager_a, "manager_b": p.manager_b, "inspector": p.inspector_a,
        "committee": p.committee_a, "farmer": p.farmer_a.user, "other_farmer": p.farmer_b.user,
        "buyer": p.buyer, "other_buyer": world.buyer_b, "coordinator": world.coordinator, "anonymous": None,
    }


def clients(world):
    out = {}
    for name, user in persona_users(world).items():
        c = Client(raise_request_exception=False)
        if user is not None:
            c.force_login(user)
        out[name] = c
    return out


def test_every_url_pattern_has_an_entry_in_the_permission_table():
    missing = sorted({pattern_key(route) for route, name, _p in walk()
                      if matrix.rule_for(pattern_key(route)) is None})
    assert not missing, ("URL patterns without a permission-matrix entry; add them to ROUTES in "
                         "tests/trust/matrix.py with who may read/write:\n" + "\n".join(f"    {m!r}" for m in missing))


def test_the_table_names_no_pattern_that_no_longer_exists():
    keys = {pattern_key(route) for route, _name, _p in walk()}
    stale = sorted(set(matrix.ROUTES) - keys - matrix.CONDITIONAL)
    assert not stale, f"remove these entries from tests/trust/matrix.py ROUTES: {stale}"


@pytest.fixture
def quiet_request_log():
    """Thousands of refusals are expected here; keep their tracebacks out of the output."""
    log = logging.getLogger("django.request")
    level = log.level
    log.setLevel(logging.CRITICAL)
    yield
    log.setLevel(level)


def test_each_persona_reads_and_writes_exactly_what_the_table_allows(world, quiet_request_log):
    cs = clients(world)
    seen, problems, observed = set(), [], {}
    for route, name, _p in walk():
        key = pattern_key(route)
        if key in seen:
            continue
        seen.add(key)
        rule = matrix.rule_for(key)
        if rule.skip:
            continue
        url = concrete(route, name, world)
        for persona, c in cs.items():
            if admin_model_of(route) and not name.endswith(("_changelist", "_change")) and persona not in ADMIN_SPOT:
                continue  # the model's other admin views: checked for the leak-relevant personas only
            checks = [("read", "get")]
            if rule.write is not None:
                checks.append(("write", "patch" if matrix.is_detail(key) else "post"))
            for what, method in checks:
                expected = rule.read if what == "read" else rule.write
                if method == "get":
                    r = c.get(url, follow=False)
                else:
                    r = getattr(c, method)(url, data="{}", content_type="application/json", follow=False)
                assert not connection.needs_rollback, f"{what} {persona} {url} broke the transaction ({r.status_code})"
                got = outcome(r)
                observed.setdefault((key, what), {})[persona] = got
                want = "ok" if persona in expected else "no"
                if got != want:
                    problems.append(f"{what:5} {persona:12} {url} → {r.status_code} (table says {want}) [{key}]")
                if persona not in matrix.SIDE_A and persona not in rule.public_data and r.status_code == 200:
                    body = r.content.decode("utf-8", "replace")
                    for marker in SECRET_MARKERS_A:
                        if marker in body:
                            problems.append(f"LEAK  {persona:12} {url} shows household A's {marker!r} [{key}]")
    if os.environ.get("TRUST_MATRIX_PRINT"):
        for (key, what), row in sorted(observed.items()):
            allowed = sorted(p for p, v in row.items() if v == "ok")
            print(f"{what} {key!r}: {allowed}")
    assert not problems, f"{len(problems)} permission mismatches:\n" + "\n".join(problems)


def test_manager_b_gets_404_for_every_api_object_of_cooperative_a(world, api_for):
    """Not 403: another cooperative's rows do not exist for B (the foundation's rule)."""
    c = api_for(world.personas.manager_b)
    for route, name, _p in walk():
        if not route.startswith("api/") or not OBJECT_ROUTE.search(route):
            continue  # lists, actions (POST-only: 405 before any lookup) and format suffixes
        if pattern_key(route) in matrix.API_NOT_TENANT_ROWS:
            continue
        url = concrete(route, name, world)
        r = c.get(url)
        assert r.status_code == 404, f"manager B read {url} → {r.status_code}"
