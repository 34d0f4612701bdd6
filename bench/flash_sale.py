"""Flash sale: 100 concurrent clients make 1,000 order attempts for 100 boxes against gunicorn + PostgreSQL.

Runs the same load four times — before (``GREENSHELL_STOCK_CACHE=false``: every refusal counts stock in
the database) and after (the cached sold-out figure on), each with the stock lock (production) and with
``GREENSHELL_LOCKING=false`` (the test-only switch) — and prints side by side: boxes sold (locked must be
exactly 100), successes, refusals ("sold out", 409), busy answers (503), errors (5xx other than busy, must
be 0), throughput and p95 latency, and the ratio locked/unlocked throughput.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_h3 .venv/bin/python bench/flash_sale.py

``BENCH_REDIS_URL`` (with ``CACHE_KEY_PREFIX``) puts the figure in Redis, as in production; without it
each gunicorn worker keeps its own in local memory. ``BENCH_RUNS=after`` runs only the cached pair.

Needs a PostgreSQL server (the database is created if missing, and its shop tables are reset);
without one it says so and exits 0. Bounded: each run stops after BENCH_TIMEOUT seconds (default 120).
"""

import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/greenshell_flash")
PORT = int(os.environ.get("BENCH_PORT", "8131"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100"))
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "1000"))
BOXES = int(os.environ.get("BENCH_BOXES", "100"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "120"))
SECRET = "bench-only-secret-key-flash-sale-0123456789-abcdefghijklmnop"

os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", DATABASE_URL=DB_URL)
os.environ.pop("REDIS_URL", None)
if os.environ.get("BENCH_REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
RUNS = os.environ.get("BENCH_RUNS", "before,after").split(",")

from common import ensure_database  # noqa: E402


def setup():
    """Migrate; make a cooperative, a product, buyers with API tokens (once)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from rest_framework.authtoken.models import Token

    from coop.models import Cooperative
    from orders.models import Buyer, Product
    from tests.factories import make_cooperative, make_user

    coop = Cooperative.objects.filter(producer_code="FLASH").first() or make_cooperative(
        name="秒杀测试合作社", producer_code="FLASH")
    product = Product.objects.filter(cooperative=coop).first() or Product.objects.create(
        cooperative=coop, name="绿壳鸡蛋 10枚装（秒杀）", weight_class="L", pack_size=10, price="29.90",
        per_order_limit=5)
    tokens = []
    for i in range(CLIENTS):
        buyer = Buyer.objects.filter(user__username=f"flash-{i}").first()
        if buyer is None:
            buyer = Buyer.objects.create(user=make_user(f"flash-{i}"), name=f"买家{i}")
        tokens.append(Token.objects.get_or_create(user=buyer.user)[0].key)
    return coop, product, tokens


def reset_stock(coop, product):
    """Fresh sale: no orders of this cooperative, one batch of exactly BOXES boxes."""
    from coop.models import Batch, Farmer
    from orders.models import Allocation, Order, OrderLine, OrderStatusChange
    from tests.factories import make_batch, make_delivery, make_farmer

    orders = Order.objects.filter(cooperative=coop)
    Allocation.objects.filter(line__order__in=orders).delete()
    OrderStatusChange.objects.filter(order__in=orders).delete()
    OrderLine.objects.filter(order__in=orders).delete()
    orders.delete()
    Batch.objects.filter(cooperative=coop).update(status=Batch.SOLD_OUT)
    farmer = Farmer.objects.filter(cooperative=coop).first() or make_farmer(coop, member_no="FLASH1",
                                                                            phone="13900000001")
    delivery = make_delivery(farmer, accepted={"L": BOXES * 10})
    make_batch(coop, deliveries=[delivery], weight_class="L", pack_size=10, boxes=BOXES,
               code=f"FLASH-{time.time_ns() // 1000}")


def boxes_sold(product):
    from django.db.models import Sum

    from orders.models import Order, OrderLine

    return OrderLine.objects.filter(product=product, order__status=Order.PENDING_PAYMENT).aggregate(
        n=Sum("boxes"))["n"] or 0


def start_server(locking, cached):
    env = dict(os.environ, DEBUG="false", SECRET_KEY=SECRET, ALLOWED_HOSTS="127.0.0.1",
               SITE_URL=f"http://127.0.0.1:{PORT}", GREENSHELL_LOCKING="true" if locking else "false",
               GREENSHELL_STOCK_CACHE="true" if cached else "false", LOG_LEVEL="WARNING")
    # Django logs every 409 as a warning: keep the server's output in a file, not on the screen.
    name = f"{'locked' if locking else 'unlocked'}_{'after' if cached else 'before'}"
    log = open(ROOT / "bench" / "out" / f"flash_sale_server_{name}.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "coop.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(WORKERS),
         "--log-level", "warning", "--timeout", "60", "--backlog", "2048"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + float(os.environ.get("BENCH_START_TIMEOUT", "90"))  # slow when the machine is busy
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/api/products/")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("gunicorn did not start")


def stop_server(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def load(product, tokens):
    """CLIENTS threads, each with a keep-alive connection, share ATTEMPTS order attempts of 1 box."""
    results = []
    lock = threading.Lock()
    counter = iter(range(ATTEMPTS))
    stop_at = time.time() + TIMEOUT
    barrier = threading.Barrier(len(tokens))
    body = json.dumps({"items": [{"product": product.pk, "boxes": 1}], "recipient": "买家", "phone": "13800001234",
                       "address": "佛山市禅城区"})

    def client(token):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        barrier.wait()
        while time.time() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            t = time.perf_counter()
            try:
                conn.request("POST", "/api/orders/", body=body, headers={
                    "Authorization": f"Token {token}", "Content-Type": "application/json",
                    "Idempotency-Key": f"flash-{n}-{token[:8]}"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            with lock:
                results.append((status, time.perf_counter() - t))
        conn.close()

    threads = [threading.Thread(target=client, args=(tok,)) for tok in tokens]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(TIMEOUT + 30)
    return results, time.perf_counter() - started


def run(locking, cached, coop, product, tokens):
    reset_stock(coop, product)
    proc = start_server(locking, cached)
    try:
        results, elapsed = load(product, tokens)
    finally:
        stop_server(proc)
    statuses = [s for s, _t in results]
    latencies = sorted(t for _s, t in results)
    return {
        "sold": boxes_sold(product),
        "ok": statuses.count(201),
        "refused": statuses.count(409),
        "busy": statuses.count(503),
        "errors": sum(1 for s in statuses if s >= 500 and s != 503) + statuses.count(0),
        "attempts": len(results),
        "rps": len(results) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else 0.0,
        "seconds": elapsed,
    }


def main():
    ensure_database(DB_URL, "flash_sale")
    coop, product, tokens = setup()
    print(f"flash sale: {CLIENTS} clients, {ATTEMPTS} attempts of 1 box, {BOXES} boxes in stock, "
          f"gunicorn {WORKERS} sync workers, PostgreSQL {urlparse(DB_URL).path.lstrip('/')}", flush=True)
    cols = {}
    for when in RUNS:
        cols[f"locked {when}"] = run(True, when == "after", coop, product, tokens)
        cols[f"unlocked {when}"] = run(False, when == "after", coop, product, tokens)
    rows = [("boxes sold", "sold", "{}"), ("successes (201)", "ok", "{}"), ("refusals (409 sold out)", "refused", "{}"),
            ("busy (503 try again)", "busy", "{}"), ("errors (5xx/network)", "errors", "{}"),
            ("attempts answered", "attempts", "{}"), ("throughput (req/s)", "rps", "{:.1f}"),
            ("p50 latency (ms)", "p50", "{:.0f}"), ("p95 latency (ms)", "p95", "{:.0f}"),
            ("wall time (s)", "seconds", "{:.1f}")]
    print(f"{'':26}" + "".join(f"{name:>17}" for name in cols))
    for label, key, fmt in rows:
        print(f"{label:26}" + "".join(f"{fmt.format(c[key]):>17}" for c in cols.values()))
    bad = False
    for when in RUNS:
        locked, unlocked = cols[f"locked {when}"], cols[f"unlocked {when}"]
        ratio = locked["rps"] / unlocked["rps"] if unlocked["rps"] else 0.0
        print(f"{when}: locked throughput = {ratio:.0%} of unlocked; "
              f"unlocked oversold by {max(unlocked['sold'] - BOXES, 0)} boxes")
        bad = bad or locked["sold"] != BOXES or locked["errors"] or locked["ok"] != BOXES
    if "locked before" in cols and "locked after" in cols:
        b, a = cols["locked before"], cols["locked after"]
        print(f"locked, after vs before: {a['rps'] / b['rps'] if b['rps'] else 0:.1f}x throughput, "
              f"p95 {b['p95']:.0f} → {a['p95']:.0f} ms")
    try:
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass
    if bad:
        print("FAIL: the locked run must sell exactly the stock with no errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
