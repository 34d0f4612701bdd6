"""Soak: 50 concurrent clients for 60 s of mixed traffic against gunicorn + PostgreSQL + Redis + a Celery
worker, then checks that the state adds up.

Traffic mix (each client picks at random, keep-alive connection):
  40 % scans       GET /t/<code>/ (the egg box QR page; scans are buffered in Redis, flushed to the DB)
  25 % shop        GET /shop/ and /shop/p/<id>/
  15 % orders      POST /api/orders/ (buyer token, 1 box, Idempotency-Key)
  20 % intake      POST /api/deliveries/ (inspector token, X-Idempotency-Key; one in ten resends a key)

Afterwards: errors (5xx, transport failures, unexpected 4xx) must be 0; stock — boxes ordered ≤ boxes
packed and every order line fully allocated; ledger — one delivery credit per delivery and the same
money; scans — every scan served is one row after the flush; resent intake keys made no second delivery.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_h8_soak BENCH_REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/soak.py
"""

import datetime
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gs_h8_soak")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", "8181"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
BOXES = int(os.environ.get("BENCH_BOXES", "400"))
PREFIX = "soak"
SECRET = "bench-only-secret-key-soak-0123456789-abcdefghijklmnopqrstuvwxyz"

STATIC = "bench/out/soak_static"  # the production server serves hashed static files: collected here
os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL,
                  CACHE_KEY_PREFIX=PREFIX, STATIC_ROOT=STATIC)


def ensure_database():
    import psycopg

    name = urlparse(DB_URL).path.lstrip("/")
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"soak: no PostgreSQL at {admin} ({exc.__class__.__name__}); skipped.")
        sys.exit(0)


def setup():
    """A fresh database: a cooperative with villages and households, prices, a packed batch with its
    trace code, a product, buyers and inspectors with API tokens."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()
    from rest_framework.authtoken.models import Token

    from coop.models import Staff
    from orders.models import Buyer, Product
    from quality.services.scans import buffer_key, redis_client
    from quality.services.trace import ensure_trace_code
    from tests.factories import (
        make_batch,
        make_cooperative,
        make_delivery,
        make_farmer,
        make_staff,
        make_user,
        make_village,
        set_prices,
    )

    client = redis_client()
    if client is not None:
        client.delete(buffer_key())
    coop = make_cooperative(name="压力测试合作社", producer_code="SOAK")
    set_prices(coop)
    farmers = []
    for v in range(5):
        village = make_village(coop, name=f"压测村{v}")
        farmers += [make_farmer(coop, village) for _ in range(10)]
    stock = make_delivery(farmers[0], accepted={"L": BOXES * 10})
    batch = make_batch(coop, deliveries=[stock], weight_class="L", pack_size=10, boxes=BOXES, code="SOAK-1")
    code = ensure_trace_code(batch).code
    product = Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                                     price="39.90", per_order_limit=5)
    buyers = []
    for i in range(CLIENTS):
        buyer = Buyer.objects.create(user=make_user(f"soak-buyer-{i}"), name=f"买家{i}", phone=f"137{i:08d}")
        buyers.append(Token.objects.create(user=buyer.user).key)
    inspectors = [Token.objects.create(user=make_staff(coop, Staff.INSPECTOR, f"soak-insp-{i}")).key
                  for i in range(10)]
    return dict(coop=coop, code=code, product=product.pk, farmers=[f.pk for f in farmers], buyers=buyers,
                inspectors=inspectors, batch=batch)


def collect_static():
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True,
                   env=dict(os.environ, DEBUG="false", SECRET_KEY=SECRET, ALLOWED_HOSTS="127.0.0.1"))


def server_env():
    return dict(os.environ, DEBUG="false", SECRET_KEY=SECRET, ALLOWED_HOSTS="127.0.0.1",
                SITE_URL=f"http://127.0.0.1:{PORT}", LOG_LEVEL="WARNING", SECURE_SSL_REDIRECT="false")


def start(cmd, log_name):
    log = open(ROOT / "bench" / "out" / log_name, "w")
    return subprocess.Popen(cmd, cwd=ROOT, env=server_env(), start_new_session=True, stdout=log,
                            stderr=subprocess.STDOUT)


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for_server():
    deadline = time.time() + 40
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.codes = {}
        self.errors = []
        self.scans_ok = 0
        self.orders_ok = 0
        self.intake_keys = {}

    def add(self, kind, status, ms, ok, note=""):
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            self.codes[(kind, status)] = self.codes.get((kind, status), 0) + 1
            if not ok:
                self.errors.append(f"{kind} {status} {note}"[:200])


def client_loop(n, world, stats, stop_at):
    rng = random.Random(n)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    buyer = world["buyers"][n % len(world["buyers"])]
    inspector = world["inspectors"][n % len(world["inspectors"])]
    sent_keys = []
    day = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    while time.time() < stop_at:
        r = rng.random()
        headers, body, method = {}, None, "GET"
        if r < 0.40:
            kind, path = "scan", f"/t/{world['code']}/"
            headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0"
            headers["X-Forwarded-For"] = f"10.{n}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            expected = {200}
        elif r < 0.65:
            kind = "shop"
            path = "/shop/" if rng.random() < 0.5 else f"/shop/p/{world['product']}/"
            expected = {200}
        elif r < 0.80:
            kind, path, method = "order", "/api/orders/", "POST"
            headers.update({"Authorization": f"Token {buyer}", "Content-Type": "application/json",
                            "Idempotency-Key": uuid.uuid4().hex})
            body = json.dumps({"items": [{"product": world["product"], "boxes": 1}], "recipient": "张三",
                               "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号"})
            expected = {201, 409}  # 409: sold out (refused cleanly)
        else:
            kind, path, method = "intake", "/api/deliveries/", "POST"
            if sent_keys and rng.random() < 0.1:
                key, farmer = rng.choice(sent_keys)  # the phone lost the answer: resend
            else:
                key, farmer = uuid.uuid4().hex, rng.choice(world["farmers"])
            headers.update({"Authorization": f"Token {inspector}", "Content-Type": "application/json",
                            "X-Idempotency-Key": key})
            body = json.dumps({"farmer": farmer, "laid_from": day, "accepted": {"L": 10, "M": 5}})
            expected = {200, 201}
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            stats.add(kind, "exc", (time.perf_counter() - t0) * 1000, False, repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            continue
        ms = (time.perf_counter() - t0) * 1000
        ok = status in expected
        stats.add(kind, status, ms, ok, payload[:120].decode("utf-8", "replace"))
        if kind == "scan" and status == 200:
            with stats.lock:
                stats.scans_ok += 1
        if kind == "order" and status == 201:
            with stats.lock:
                stats.orders_ok += 1
        if kind == "intake" and status in (200, 201):
            delivery_id = json.loads(payload).get("id")
            with stats.lock:
                previous = stats.intake_keys.setdefault(key, delivery_id)
                if previous != delivery_id:
                    stats.errors.append(f"intake key {key} answered two deliveries {previous} / {delivery_id}")
            sent_keys.append((key, farmer))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def state_checks(world, stats):
    from django.db.models import Sum

    from coop.models import Delivery, LedgerEntry
    from orders.models import Order, OrderLine
    from quality.models import Scan
    from quality.services.scans import flush_scans

    coop = world["coop"]
    checks = []
    # Stock: never oversold (boxes are allocated at packing; unpaid orders hold their boxes until then).
    live = OrderLine.objects.filter(order__cooperative=coop).exclude(order__status=Order.CANCELLED)
    boxes = live.aggregate(n=Sum("boxes"))["n"] or 0
    checks.append((f"stock: {boxes} boxes ordered ≤ {BOXES} packed", boxes <= BOXES))
    checks.append((f"orders: {live.values('order').distinct().count()} orders = {stats.orders_ok} answered 201",
                   live.values("order").distinct().count() == stats.orders_ok))
    # Ledger: one delivery credit per delivery, same money.
    deliveries = Delivery.objects.filter(cooperative=coop).exclude(pk__in=world["batch"].contributions.values(
        "delivery_id"))
    n_deliveries = deliveries.count()
    credits = LedgerEntry.objects.filter(farmer__cooperative=coop, kind=LedgerEntry.DELIVERY)
    due = deliveries.aggregate(s=Sum("amount_due"))["s"] or 0
    credited = credits.aggregate(s=Sum("amount"))["s"] or 0
    checks.append((f"ledger: {credits.count()} delivery credits for {n_deliveries} deliveries",
                   credits.count() == n_deliveries))
    checks.append((f"ledger: ¥{credited} credited = ¥{due} due", credited == due))
    checks.append((f"intake: {len(stats.intake_keys)} idempotency keys = {n_deliveries} deliveries",
                   len(stats.intake_keys) == n_deliveries))
    # Scans: the buffer flushed, one row per scan served.
    for _ in range(5):
        flush_scans()
    rows = Scan.objects.filter(trace__code=world["code"]).count()
    checks.append((f"scans: {rows} rows = {stats.scans_ok} scans served", rows == stats.scans_ok))
    return checks


def main():
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    ensure_database()
    collect_static()
    world = setup()
    bin_dir = Path(sys.executable).parent
    print(f"soak: {CLIENTS} clients × {SECONDS:.0f} s; gunicorn {WORKERS} workers × {THREADS} threads, "
          f"PostgreSQL {urlparse(DB_URL).path.lstrip('/')}, Redis {REDIS_URL}, 1 Celery worker", flush=True)
    server = start([str(bin_dir / "gunicorn"), "coop.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(WORKERS),
                    "--threads", str(THREADS), "--log-level", "warning", "--timeout", "60", "--backlog", "2048"],
                   "soak_server.log")
    worker = start([str(bin_dir / "celery"), "-A", "coop", "worker", "--pool=solo", "--loglevel=warning",
                    "-n", f"soak-{os.getpid()}@%h", "--without-gossip", "--without-mingle"], "soak_worker.log")
    try:
        wait_for_server()
        stats = Stats()
        stop_at = time.time() + SECONDS
        threads = [threading.Thread(target=client_loop, args=(i, world, stats, stop_at)) for i in range(CLIENTS)]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
    finally:
        stop(server)
        stop(worker)
    every = [ms for values in stats.latencies.values() for ms in values]
    print(f"requests: {len(every)} in {elapsed:.1f} s ({len(every) / elapsed:.0f}/s); errors: {len(stats.errors)}")
    print(f"latency all: p50 {statistics.median(every):.0f} ms, p99 {pct(every, 99):.0f} ms")
    for kind, values in sorted(stats.latencies.items()):
        codes = ", ".join(f"{s}×{n}" for (k, s), n in sorted(stats.codes.items(), key=str) if k == kind)
        print(f"  {kind:7} {len(values):6} req  p50 {statistics.median(values):5.0f} ms  "
              f"p99 {pct(values, 99):6.0f} ms  [{codes}]")
    for line in stats.errors[:10]:
        print("  error:", line)
    checks = state_checks(world, stats)
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    failed = bool(stats.errors) or not all(ok for _t, ok in checks)
    print("soak:", "FAILED" if failed else "passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
