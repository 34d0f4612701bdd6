"""Scan page throughput: the app under gunicorn (2 workers, PostgreSQL + Redis) driven by wrk,
side by side with a static file of the same size served by the same server (WhiteNoise).

Runs twice on the same machine in one go: "before", Django's whole stack (``coop.wsgi:django_application``),
and "after", the fast path in front of it (``coop.wsgi:application``, quality/views/scanfast.py), each
side by side with the static file from that same gunicorn. Prints the throughputs, the ratios, p50/p99
latency, errors, the load average, SQL queries per scan (fast path warm, Django warm, first scan), and
checks that every served scan reached the database after the flush (0 lost, counted from gunicorn's
access log). Target (issue 18): the fast path's scan page ≥ 80 % of the static file's throughput,
0 SQL warm, 0 errors, 0 lost scans.

    .venv/bin/python bench/scan.py            # needs PostgreSQL on 127.0.0.1:5432, Redis, wrk
Env: BENCH_PORT (8120), BENCH_DB (gs_h2_bench), BENCH_REDIS (redis://127.0.0.1:6379/2),
BENCH_SECONDS (10), BENCH_CONNECTIONS (16).
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = int(os.environ.get("BENCH_PORT", "8120"))
DB = os.environ.get("BENCH_DB", "gs_h2_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
STATIC_ROOT = tempfile.mkdtemp(prefix="gs-bench-static-")
# The server's own access log counts the scan pages it served (wrk does not count requests still in
# flight when its clock stops); both sides pay for the log alike.
ACCESS_LOG = Path(STATIC_ROOT) / "access.log"
ENV = dict(
    os.environ, DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="false", SECRET_KEY="bench-only-" + "x" * 40,
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", REDIS_URL=REDIS, CACHE_KEY_PREFIX="h2bench",
    SITE_URL=f"http://127.0.0.1:{PORT}", STATIC_ROOT=STATIC_ROOT, LOG_LEVEL="WARNING",
)
os.environ.update(ENV)


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, env=ENV, **kw)


def wrk(url):
    out = sh("wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    lat = {p: re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out) for p in ("50", "99")}
    ms = {p: float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] for p, m in lat.items()}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errs = (int(errors.group(1)) if errors else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": rps, "total": total, "p50": ms["50"], "p99": ms["99"], "errors": errs}


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
    from django.db import connection
    from django.test import Client

    from quality.models import Scan
    from quality.services.scans import flush_scans, pending_count
    from tests.factories import make_batch, make_cooperative, make_delivery, make_farmer, make_village

    coop = make_cooperative(
        name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋", producer_code="BENCH", phone="0834-1234567")
    village = make_village(coop, altitude_m=2480)
    batch = make_batch(coop, deliveries=[make_delivery(make_farmer(coop, village), accepted={"L": 40},
                                                       rejected={"cracked": 2})], boxes=4)
    code = batch.trace.code
    path = f"/t/{code}"

    # Queries per scan, measured in-process on the same database and Redis.
    from quality.services import scanpage

    client = Client()

    def queries_of(fn):
        seen = []

        def count(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert fn().status_code == 200
        return seen

    scanpage.forget_local()
    scanpage.invalidate(batch.trace.pk)
    first = queries_of(lambda: client.get(path))  # nothing cached anywhere: the page is rendered
    scanpage.forget_local()
    new_worker = queries_of(lambda: client.get(path))  # a fresh worker: page cached, code not yet known
    cached = queries_of(lambda: client.get(path))  # every later scan

    # The fast path in front of Django (what gunicorn runs): a warm scan, in-process.
    from wsgiref.util import setup_testing_defaults

    from coop.wsgi import application

    class Answer:
        status_code = None

    def through_wsgi():
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "HTTP_HOST": "127.0.0.1"}
        setup_testing_defaults(environ)
        answer = Answer()

        def start_response(status, headers, exc_info=None):
            answer.status_code = int(status.split()[0])

        b"".join(application(environ, start_response))
        return answer

    through_wsgi()
    handed_on = []
    inner = application.django_app
    application.django_app = lambda environ, start: handed_on.append(1) or inner(environ, start)
    fast = queries_of(through_wsgi)
    application.django_app = inner
    if handed_on:
        sys.exit("the fast path handed a warm scan to Django: nothing to measure")

    html = client.get(path, HTTP_HOST=f"127.0.0.1:{PORT}").content
    static_name = "bench-same-size.html"
    (Path(STATIC_ROOT) / static_name).write_bytes(b"x" * len(html))
    flush_scans()
    Scan.objects.filter(trace=batch.trace).delete()
    cache.delete_many([])  # keep the rendered page: a real label is scanned again and again

    # The same run measures both: Django's whole stack ("before": coop.wsgi:django_application) and the
    # fast path in front of it ("after": coop.wsgi:application, what deploys run), each beside the static
    # file served by that same gunicorn.
    runs = {}
    for app in ("django_application", "application"):
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), f"coop.wsgi:{app}", "-w", "2", "-b", f"127.0.0.1:{PORT}",
             "--log-level", "warning", "--access-logfile", str(ACCESS_LOG),
             "--access-logformat", "%(m)s %(U)s %(s)s"], env=ENV, cwd=ROOT)
        try:
            base = f"http://127.0.0.1:{PORT}"
            for _i in range(50):
                try:
                    urllib.request.urlopen(f"{base}/static/{static_name}", timeout=1).read()
                    break
                except Exception:
                    time.sleep(0.2)
            for _i in range(4):  # warm both workers' code maps and the page cache
                urllib.request.urlopen(base + path).read()
            runs[f"static {app}"], runs[f"scan {app}"] = [], []
            for _round in range(2):  # interleaved, so a noisy neighbour hurts both sides alike
                runs[f"static {app}"].append(wrk(f"{base}/static/{static_name}"))
                runs[f"scan {app}"].append(wrk(base + path))
        finally:
            server.terminate()
            server.wait(10)

    served = sum(1 for line in ACCESS_LOG.read_text().splitlines() if line == f"GET {path} 200")
    flushed = 0
    while pending_count():
        flushed += flush_scans()
    recorded = Scan.objects.filter(trace=batch.trace).count()
    # Where a warm scan's time goes, in-process (no gunicorn, no wrk): the fast path, the Redis round
    # trip inside it (a PING costs the same trip), Django's whole stack, and the static file. After the
    # count above: these scans are not in the access log.
    from django.core.handlers.wsgi import WSGIHandler

    from quality.services.scans import redis_client

    static_app = WSGIHandler()  # made now: WhiteNoise lists the static files when it starts

    def per_request(fn, n=2000):
        fn()
        start = time.perf_counter()
        for _i in range(n):
            fn()
        return (time.perf_counter() - start) / n * 1e6

    def get(app, url):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": url, "QUERY_STRING": "", "HTTP_HOST": "127.0.0.1"}
        setup_testing_defaults(environ)
        return lambda: b"".join(app(environ, lambda status, headers, exc_info=None: None))

    timing = {"fast path": per_request(get(application, path)),
              "  of which the Redis round trip": per_request(redis_client().ping),
              "Django's stack": per_request(get(inner, path)),
              "static file": per_request(get(static_app, f"/static/{static_name}"))}
    while pending_count():  # the timing's scans: out of the buffer before the next run
        flush_scans()

    def med(side, key):
        return statistics.median(r[key] for r in runs[side])

    load = os.getloadavg()
    print(f"scan bench: gunicorn 2 sync workers, PostgreSQL + Redis, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s ×2 "
          f"interleaved (median); page {len(html)} bytes; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    ratios = {}
    for app, label in (("django_application", "before: Django's full stack"),
                       ("application", "after: the fast path (coop.wsgi:application)")):
        ratios[app] = med(f"scan {app}", "rps") / med(f"static {app}", "rps")
        print(f" {label}")
        for side, what in (("static", f"static file ({len(html)} B)"), ("scan", f"scan page {path}")):
            key = f"{side} {app}"
            print(f"  {what:32s} {med(key, 'rps'):8.0f} req/s  p50 {med(key, 'p50'):6.2f} ms  "
                  f"p99 {med(key, 'p99'):6.2f} ms  errors {sum(r['errors'] for r in runs[key])}")
        print(f"  ratio scan/static: {ratios[app]:.0%}")
    print(f"  fast path vs Django's stack: {ratios['application'] / ratios['django_application']:.2f}× the ratio "
          f"(target: after ≥ 80%)")
    print(f"  SQL queries per scan: {len(fast)} warm through the fast path; {len(cached)} warm through Django; "
          f"{len(new_worker)} on a worker's first scan of the code; "
          f"{len(first)} when the page is rendered (once per batch, language and day) (target 0 warm)")
    print("  in-process µs per request (no HTTP): " + "; ".join(f"{k.strip()} {v:.0f}" for k, v in timing.items()))
    print(f"  scans served {served}, recorded after flush {recorded}, lost {served - recorded}")
    ok = (ratios["application"] >= 0.8 and len(fast) == 0 and len(cached) <= 2 and served == recorded
          and not any(r["errors"] for key in runs if key.startswith("scan") for r in runs[key]))
    print("  result:", "OK" if ok else "MISSED")
    shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
