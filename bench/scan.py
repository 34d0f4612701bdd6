"""Scan page throughput: the app under gunicorn (2 workers, PostgreSQL + Redis) driven by wrk,
side by side with a static file of the same size served by the same server (WhiteNoise).

Prints both throughputs, the ratio, p50/p99 latency, errors, SQL queries per scan (cached and
first scan), and checks that every served scan reached the database after the flush (0 lost).
Target (issue #4): scan page ≥ 50 % of the static file's throughput, ≤ 2 queries per scan,
0 errors, 0 lost scans.

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

    html = client.get(path, HTTP_HOST=f"127.0.0.1:{PORT}").content
    static_name = "bench-same-size.html"
    (Path(STATIC_ROOT) / static_name).write_bytes(b"x" * len(html))
    flush_scans()
    Scan.objects.filter(trace=batch.trace).delete()
    cache.delete_many([])  # keep the rendered page: a real label is scanned again and again

    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "coop.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}",
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
        runs = {"static": [], "scan": []}
        for _round in range(2):  # interleaved, so a noisy neighbour hurts both sides alike
            runs["static"].append(wrk(f"{base}/static/{static_name}"))
            runs["scan"].append(wrk(base + path))
    finally:
        server.terminate()
        server.wait(10)

    served = sum(1 for line in ACCESS_LOG.read_text().splitlines() if line == f"GET {path} 200")
    flushed = 0
    while pending_count():
        flushed += flush_scans()
    recorded = Scan.objects.filter(trace=batch.trace).count()

    def med(side, key):
        return statistics.median(r[key] for r in runs[side])

    ratio = med("scan", "rps") / med("static", "rps")
    print(f"scan bench: gunicorn 2 sync workers, PostgreSQL + Redis, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s ×2 "
          f"interleaved (median); page {len(html)} bytes")
    for side, label in (("static", f"static file ({len(html)} B)"), ("scan", f"scan page {path}")):
        print(f"  {label:32s} {med(side, 'rps'):8.0f} req/s  p50 {med(side, 'p50'):6.2f} ms  "
              f"p99 {med(side, 'p99'):6.2f} ms  errors {sum(r['errors'] for r in runs[side])}")
    print(f"  ratio scan/static: {ratio:.0%} (target ≥ 50%)")
    print(f"  SQL queries per scan: {len(cached)} warm; {len(new_worker)} on a worker's first scan of the code; "
          f"{len(first)} when the page is rendered (once per batch, language and day) (target ≤ 2)")
    print(f"  scans served {served}, recorded after flush {recorded}, lost {served - recorded}")
    ok = ratio >= 0.5 and len(cached) <= 2 and served == recorded and not any(
        r["errors"] for r in runs["scan"])
    print("  result:", "OK" if ok else "MISSED")
    shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
