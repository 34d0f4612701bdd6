"""The authenticated API list and a shop page against /healthz on the same server (issue 18, item 2).

gunicorn (2 sync workers, DEBUG off, ``coop.wsgi:application``) on PostgreSQL + Redis, driven by wrk:
``GET /healthz`` (one ``SELECT 1`` and a cache write + read: the floor of a request through the whole
middleware stack), ``GET /api/products/`` with ``Authorization: Token …`` (a buyer's token), and the
shop's home page ``GET /shop/`` (anonymous). The three are run interleaved, twice each; the medians'
req/s, p50 and p95 are printed with the ratios API/healthz (goal ≥ 35 %) and shop/healthz.

Before the load, where one request's time goes, in-process (no HTTP, no wrk): every middleware, the
URL resolver, DRF's steps (authentication, permissions, throttles, filter backends, COUNT, the page
query, the boxes-left figures, serialisation, JSON rendering), the template and its context processors,
each with its own SQL (round trips and count) and Redis time beside it — measured by timing those
functions (self time, children subtracted), not guessed.

``BENCH_BEFORE=<git ref>`` also runs the same load on that commit's code (exported with ``git archive``
into a temporary directory; same database, same Redis, same machine), before the current tree, so a
change is measured side by side in one run.

    .venv/bin/python bench/api.py        # needs PostgreSQL on 127.0.0.1:5432, Redis, wrk
Env: BENCH_PORT (8150), BENCH_DB (gs_api_bench), BENCH_REDIS (redis://127.0.0.1:6379/14), BENCH_CACHE_PREFIX
(apibench), BENCH_SECONDS (10), BENCH_CONNECTIONS (16), BENCH_WORKERS (2), BENCH_PRODUCTS (8),
BENCH_REQUESTS (in-process requests per page for the breakdown, 400), BENCH_BEFORE (unset), BENCH_LOAD (true;
false = the breakdown only, no gunicorn or wrk).
"""

import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = int(os.environ.get("BENCH_PORT", "8150"))
DB = os.environ.get("BENCH_DB", "gs_api_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "8"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))
BEFORE = os.environ.get("BENCH_BEFORE", "")
LOAD = os.environ.get("BENCH_LOAD", "true") != "false"  # false: the in-process breakdown only
WORK = Path(tempfile.mkdtemp(prefix="gs-bench-api-"))
ENV = dict(
    os.environ, DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="false", SECRET_KEY="bench-only-" + "x" * 40,
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", REDIS_URL=REDIS,
    CACHE_KEY_PREFIX=os.environ.get("BENCH_CACHE_PREFIX", "apibench"), SITE_URL=f"http://127.0.0.1:{PORT}",
    STATIC_ROOT=str(WORK / "static"), LOG_LEVEL="WARNING",
)
os.environ.update(ENV)
# wrk's own summary has no p95: a `done` hook prints the percentiles from its latency histogram (µs).
WRK_SCRIPT = WORK / "percentiles.lua"
WRK_SCRIPT.write_text('done = function(summary, latency, requests)\n'
                      '  io.write(string.format("GS p50=%d p95=%d\\n",\n'
                      '                         latency:percentile(50), latency:percentile(95)))\n'
                      'end\n')
PAGES = ("healthz", "api", "shop")


def wrk(url, headers=()):
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", str(WRK_SCRIPT), url]
    for header in headers:
        args[1:1] = ["-H", header]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p95 = (int(x) / 1000 for x in re.search(r"GS p50=(\d+) p95=(\d+)", out).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errs = (int(errors.group(1)) if errors else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": rps, "p50": p50, "p95": p95, "errors": errs}


def seed():
    """A small real shop: two cooperatives, PRODUCTS products with packed batches, orders holding boxes,
    a pick-up point, a buyer with an API token."""
    from rest_framework.authtoken.models import Token

    from orders.models import Buyer, PickupPoint
    from orders.services import orders as order_service
    from tests.factories import (
        PAIRING_ADDRESS,
        make_batch,
        make_cooperative,
        make_delivery,
        make_farmer,
        make_product,
        make_user,
    )

    coops = [make_cooperative(name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋", producer_code="BENCHA"),
             make_cooperative(name="竹核乡生态养殖合作社", short_name="竹核绿壳蛋", producer_code="BENCHB")]
    buyer = Buyer.objects.create(user=make_user("bench-api-buyer"), name="张三", phone="13800001234")
    products = []
    for i in range(PRODUCTS):
        coop = coops[i % 2]
        wc, pack = "SML"[i % 3], (10, 30)[(i // 3) % 2]
        product = make_product(coop, name=f"高山绿壳鸡蛋 {pack}枚装（{wc}）", weight_class=wc, pack_size=pack,
                               description="海拔 2,400 米林下散养，当天收蛋当天验。")
        farmer = make_farmer(coop, member_no=f"B{i:03d}", phone=f"1390000{i:04d}")
        for j in range(3):
            make_batch(coop, deliveries=[make_delivery(farmer, accepted={wc: pack * 40})], weight_class=wc,
                       pack_size=pack, boxes=40, code=f"API{i:02d}{j}")
        products.append(product)
    for product in products:  # boxes held by orders waiting for payment: the figures subtract them
        for _k in range(3):
            order_service.place_order(buyer=buyer, items=[order_service.Item(product, 1)], address=PAIRING_ADDRESS)
    PickupPoint.objects.create(cooperative=coops[0], name="尔吉村村委会", address="贺波洛乡尔吉村")
    return Token.objects.create(user=buyer.user).key


class Spans:
    """Self time of named functions (children subtracted) and the SQL and Redis time inside each."""

    def __init__(self):
        self.self_s = defaultdict(float)
        self.sql_s, self.sql_n, self.redis_s = defaultdict(float), defaultdict(int), defaultdict(float)
        self.stack = []  # [name, seconds spent in children]

    def wrap(self, name, fn):
        spans = self

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            spans.stack.append([name, 0.0])
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                _name, children = spans.stack.pop()
                spans.self_s[name] += elapsed - children
                if spans.stack:
                    spans.stack[-1][1] += elapsed
        return timed

    def patch(self, owner, attr, name):
        setattr(owner, attr, self.wrap(name, getattr(owner, attr)))

    def leaf(self, kind, fn):
        """SQL or Redis: its time counts for the function that asked, beside (not inside) its self time."""
        spans = self

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                parent = spans.stack[-1][0] if spans.stack else "(outside)"
                if kind == "sql":
                    spans.sql_s[parent] += elapsed
                    spans.sql_n[parent] += 1
                else:
                    spans.redis_s[parent] += elapsed
                if spans.stack:
                    spans.stack[-1][1] += elapsed
        return timed

    def reset(self):
        for d in (self.self_s, self.sql_s, self.sql_n, self.redis_s):
            d.clear()


def instrument(spans):
    """Wrap the steps of a request: each middleware, the resolver, DRF's steps, templates."""
    import django.template.backends.django as django_templates
    import redis.client
    from django.conf import settings
    from django.core.handlers.base import BaseHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.paginator import Paginator
    from django.template import engines
    from django.utils.module_loading import import_string
    from rest_framework import authentication, generics, pagination, renderers, serializers, views

    for path in settings.MIDDLEWARE:
        cls = import_string(path)
        label = "mw " + cls.__name__.replace("Middleware", "")
        for attr in ("__call__", "process_view", "process_template_response"):
            if attr in vars(cls) or (attr == "__call__"):
                spans.patch(cls, attr, label)
    spans.patch(WSGIHandler, "__call__", "WSGI: request object, signals, response")
    spans.patch(BaseHandler, "_get_response", "Django handler (view call, response checks)")
    spans.patch(BaseHandler, "resolve_request", "URL resolver")
    spans.patch(views.APIView, "dispatch", "DRF dispatch (Request, headers, the rest)")
    spans.patch(views.APIView, "perform_content_negotiation", "DRF content negotiation")
    spans.patch(authentication.SessionAuthentication, "authenticate", "auth: session (lazy user)")
    spans.patch(authentication.TokenAuthentication, "authenticate", "auth: token → user")
    spans.patch(views.APIView, "check_permissions", "DRF permissions")
    spans.patch(views.APIView, "check_throttles", "DRF throttles")
    spans.patch(generics.GenericAPIView, "filter_queryset", "DRF filter backends")
    spans.patch(pagination.PageNumberPagination, "paginate_queryset", "DRF page query")
    spans.patch(Paginator, "page", "DRF COUNT(*) for the page")
    spans.patch(serializers.Serializer, "to_representation", "DRF serialisation")
    spans.patch(renderers.JSONRenderer, "render", "DRF JSON rendering")
    from orders.api.catalog import ProductViewSet
    from orders.services import stock

    spans.patch(ProductViewSet, "page_figures", "boxes-left figures (stock)")
    spans.patch(stock, "with_availability", "boxes-left figures (stock)")
    spans.patch(django_templates.Template, "render", "template rendering")
    engine = engines["django"].engine
    engine.template_context_processors = tuple(spans.wrap("context processors", p)
                                               for p in engine.template_context_processors)
    from django.db import connection

    sql = spans.leaf("sql", lambda execute, sql, params, many, context: execute(sql, params, many, context))
    connection.execute_wrappers.append(sql)
    redis.client.Redis.execute_command = spans.leaf("redis", redis.client.Redis.execute_command)
    redis.client.Pipeline.execute = spans.leaf("redis", redis.client.Pipeline.execute)


def wsgi_get(app, path, headers):
    from wsgiref.util import setup_testing_defaults

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "HTTP_HOST": "127.0.0.1"}
    environ.update(headers)
    setup_testing_defaults(environ)
    status = []
    body = b"".join(app(environ, lambda s, h, exc_info=None: status.append(s)))
    assert status[0].startswith("200"), (path, status, body[:300])
    return body


def breakdown(token):
    """Per request, in-process: uninstrumented total, then each step's self time, SQL and Redis."""
    from django.core.wsgi import get_wsgi_application

    from coop.wsgi import application
    from quality.views.scanfast import ScanFastPath

    requests = {"healthz": ("/healthz", {}), "api": ("/api/products/", {"HTTP_AUTHORIZATION": f"Token {token}"}),
                "shop": ("/shop/", {})}
    totals = {}
    for page, (path, headers) in requests.items():
        for _i in range(20):
            wsgi_get(application, path, headers)
        best = None
        for _round in range(3):
            start = time.perf_counter()
            for _i in range(REQUESTS):
                wsgi_get(application, path, headers)
            per = (time.perf_counter() - start) / REQUESTS * 1e6
            best = per if best is None else min(best, per)
        totals[page] = best
    spans = Spans()
    instrument(spans)
    spans.patch(ScanFastPath, "__call__", "scan fast path (passes it on)")
    # A new handler: Django binds each middleware's process_view when the handler is made.
    application = ScanFastPath(get_wsgi_application())
    rows = {}
    for page, (path, headers) in requests.items():
        wsgi_get(application, path, headers)
        spans.reset()
        for _i in range(REQUESTS):
            wsgi_get(application, path, headers)
        rows[page] = {name: (spans.self_s[name] / REQUESTS * 1e6, spans.sql_s[name] / REQUESTS * 1e6,
                             spans.sql_n[name] / REQUESTS, spans.redis_s[name] / REQUESTS * 1e6)
                      for name in set(spans.self_s) | set(spans.sql_s) | set(spans.redis_s)}
    return totals, rows


def print_breakdown(totals, rows):
    names = sorted(set().union(*rows.values()), key=lambda n: -max(sum(r.get(n, (0, 0, 0, 0))[i] for i in (0, 1, 3))
                                                                    for r in rows.values()))
    print(f"  where one request's time goes, in-process (no HTTP), µs per request, mean of {REQUESTS}:")
    print(f"  {'step':46}" + "".join(f"{p:>30}" for p in PAGES))
    print(f"  {'':46}" + "".join(f"{'python':>9}{'sql (n)':>13}{'redis':>8}" for _p in PAGES))
    for name in names:
        cells = ""
        for page in PAGES:
            py, sql, n, red = rows[page].get(name, (0, 0, 0, 0))
            cells += f"{py:9.0f}{(f'{sql:.0f} ({n:g})' if n else '-'):>13}{(f'{red:.0f}' if red else '-'):>8}"
        print(f"  {name:46}{cells}")
    sums = {p: sum(py + sql + red for py, sql, _n, red in rows[p].values()) for p in PAGES}
    queries = {p: sum(n for _py, _sql, n, _red in rows[p].values()) for p in PAGES}
    print(f"  {'sum of the steps (instrumented)':46}" + "".join(f"{sums[p]:>30.0f}" for p in PAGES))
    print(f"  {'SQL queries per request':46}" + "".join(f"{queries[p]:>30g}" for p in PAGES))
    print(f"  {'whole request, not instrumented (best of 3)':46}" + "".join(f"{totals[p]:>30.0f}" for p in PAGES))


def serve(tree, label, token):
    """Start gunicorn on ``tree``'s code, run the three loads interleaved twice, stop it."""
    env = dict(ENV, STATIC_ROOT=str(WORK / f"static-{label}"))
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=tree, env=env,
                   check=True, capture_output=True)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "coop.wsgi:application", "-w", str(WORKERS),
         "-b", f"127.0.0.1:{PORT}", "--log-level", "warning", "--chdir", str(tree)],
        env=env, cwd=tree, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{PORT}"
    loads = {"healthz": (f"{base}/healthz", ()), "api": (f"{base}/api/products/", (f"Authorization: Token {token}",)),
             "shop": (f"{base}/shop/", ())}
    try:
        for _i in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except Exception:
                time.sleep(0.3)
        for _i in range(2 * WORKERS):  # each worker's first request of each page (imports, connections)
            for url, headers in loads.values():
                request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
                urllib.request.urlopen(request, timeout=10).read()
        runs = {page: [] for page in loads}
        for _round in range(2):  # interleaved, so a noisy neighbour hurts every side alike
            for page, (url, headers) in loads.items():
                runs[page].append(wrk(url, headers))
    finally:
        server.terminate()
        server.wait(15)
    return {page: {key: statistics.median(r[key] for r in rs) for key in ("rps", "p50", "p95")}
            | {"errors": sum(r["errors"] for r in rs)} for page, rs in runs.items()}


def print_load(label, result):
    print(f"  {label}")
    names = {"healthz": "/healthz", "api": "/api/products/ (token)", "shop": "/shop/"}
    for page in PAGES:
        r = result[page]
        print(f"    {names[page]:26} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  "
              f"errors {r['errors']}")
    print(f"    ratio API/healthz {result['api']['rps'] / result['healthz']['rps']:.0%} (goal ≥ 35 %), "
          f"shop/healthz {result['shop']['rps'] / result['healthz']['rps']:.0%}")


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):  # a fresh database each run
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", sql], capture_output=True, env=ENV,
                       check=True)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    cache.clear()
    token = seed()
    start_load = os.getloadavg()
    totals, rows = breakdown(token)

    results = {}
    if BEFORE and LOAD:
        before_tree = WORK / "before"
        before_tree.mkdir()
        archive = subprocess.run(["git", "archive", BEFORE], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before_tree)], input=archive, check=True)
        results[f"before ({BEFORE})"] = serve(before_tree, "before", token)
    if LOAD:
        results["after (this tree)" if BEFORE else "this tree"] = serve(ROOT, "after", token)
    end_load = os.getloadavg()

    print(f"api bench: gunicorn {WORKERS} sync workers (coop.wsgi:application), PostgreSQL + Redis, wrk -t2 "
          f"-c{CONNECTIONS} -d{SECONDS}s ×2 interleaved (median); {PRODUCTS} products; load average "
          f"{start_load[0]:.2f} at the start, {end_load[0]:.2f} {end_load[1]:.2f} {end_load[2]:.2f} at the end")
    print_breakdown(totals, rows)
    for label, result in results.items():
        print_load(label, result)
    if results:
        last = list(results.values())[-1]
        ratio = last["api"]["rps"] / last["healthz"]["rps"]
        # One line bench/run_all.py collects into the table.
        print(f"TABLE | API list (token) vs /healthz | {last['api']['rps']:,.0f} vs {last['healthz']['rps']:,.0f} "
              f"req/s = {ratio:.0%} | goal ≥ 35 % | {'met' if ratio >= 0.35 else 'not met'}")
    ok = all(r[p]["errors"] == 0 for r in results.values() for p in PAGES)
    shutil.rmtree(WORK, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
