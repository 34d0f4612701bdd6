"""Dashboard speed: the manager's dashboard for a prefecture office that sees every cooperative —
30,000 households in 300 cooperatives, a delivery every third day for two weeks (150,000 deliveries)
— computed by ``quality.services.dashboard.dashboard_context`` on PostgreSQL, side by side with hand-written
SQL doing the same delivery aggregates (week totals, by village, by household, eggs per day, eggs
left to pack by weight class) on the same rows.

Prints the time and the number of queries of each and their ratio; the number of queries must not
grow with the number of cooperatives (it is printed for two sizes).

    .venv/bin/python bench/dashboard.py                        # full size
    BENCH_HOUSEHOLDS=3000 .venv/bin/python bench/dashboard.py  # quick run

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
gs_h6_bench), created and migrated on first use; rows are generated with generate_series.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gs_h6_bench")
HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "30000"))
PER_COOP = 100
DAYS = 14
EVERY = 3  # a household brings eggs every third day
RUNS = 3

os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", DATABASE_URL=DB_URL)
os.environ.pop("REDIS_URL", None)


from common import ensure_database  # noqa: E402

ensure_database(DB_URL, "dashboard")

import django  # noqa: E402

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

TODAY = timezone.localdate()


def sql(statement, params=None, fetch=False):
    with connection.cursor() as cur:
        cur.execute(statement, params or [])
        return cur.fetchall() if fetch else cur.rowcount


def generate():
    t = time.perf_counter()
    sql("SET statement_timeout = '600s'")
    sql("TRUNCATE coop_cooperative RESTART IDENTITY CASCADE")
    coops = max(1, HOUSEHOLDS // PER_COOP)
    first_day = TODAY - datetime.timedelta(days=DAYS - 1)
    with transaction.atomic():
        sql("""INSERT INTO coop_cooperative (name, short_name, township, county, prefecture, province, producer_code,
                   gtin, trademark, product_name, default_pack_sizes, phone, address, husbandry,
                   publish_farmer_names, created_at)
               SELECT '合作社' || i, '', '乡' || i, '县', '凉山彝族自治州', '四川省', 'D' || lpad(i::text, 5, '0'),
                   '', '', '高山散养绿壳鸡蛋', '10,15,30', '', '', '', false, now()
               FROM generate_series(1, %s) i""", [coops])
        sql("""INSERT INTO coop_village (cooperative_id, name, township, altitude_m)
               SELECT c.id, '村' || v, '', 2000 + v * 100 FROM coop_cooperative c, generate_series(1, 3) v""")
        sql("""INSERT INTO coop_farmer (cooperative_id, village_id, member_no, head_name, phone, poverty_status, hens,
                   payout_method, payout_account, stamp_code, active, suspension_reason, joined_on)
               SELECT c.id, (SELECT min(id) FROM coop_village v WHERE v.cooperative_id = c.id) + (n %% 3),
                   'M' || lpad(n::text, 4, '0'), '吉克' || n, '139' || lpad((c.id * 1000 + n)::text, 8, '0'),
                   'monitored', 30, 'wechat', '', '', true, '', '2025-03-01'
               FROM coop_cooperative c, generate_series(1, %s) n""", [PER_COOP])
        # Reject counts vary with the household so that rates differ between villages and households.
        sql("""INSERT INTO coop_delivery (cooperative_id, farmer_id, received_at, laid_from, laid_to, eggs_brought,
                   accepted_xl, accepted_l, accepted_m, accepted_s, rejected_cracked, rejected_dirty, rejected_blood,
                   rejected_rotten, rejected_undersized, rejected_other, price_xl, price_l, price_m, price_s,
                   amount_due, flagged, flag_reason, note, created_at)
               SELECT f.cooperative_id, f.id, (%s::date + d) + time '09:30', %s::date + d - 1, %s::date + d,
                   20 + f.id %% 4, 2, 12, 5, 1, f.id %% 4, 0, 0, 0, 0, 0, 1.80, 1.50, 1.20, 1.00,
                   2 * 1.80 + 12 * 1.50 + 5 * 1.20 + 1 * 1.00, false, '', '', now()
               FROM coop_farmer f, generate_series(0, %s) d WHERE (d + f.id) %% %s = 0""",
            [first_day, first_day, first_day, DAYS - 1, EVERY])
    sql("VACUUM ANALYZE coop_delivery")
    sql("ANALYZE coop_farmer")
    n = sql("SELECT count(*) FROM coop_delivery", fetch=True)[0][0]
    print(f"generated {HOUSEHOLDS:,} households in {coops} cooperatives, {n:,} deliveries "
          f"in {time.perf_counter() - t:.1f} s", flush=True)
    return list(range(1, coops + 1))


def baseline(ids):
    """The same delivery numbers by hand: six statements."""
    from quality.services.dashboard import _day_bounds, week_start

    start, end = _day_bounds(week_start(TODAY), TODAY)
    chart_start, _e = _day_bounds(TODAY - datetime.timedelta(days=DAYS - 1), TODAY)
    rej = "rejected_cracked + rejected_dirty + rejected_blood + rejected_rotten + rejected_undersized + rejected_other"
    acc = "accepted_xl + accepted_l + accepted_m + accepted_s"
    week = "cooperative_id = ANY(%s) AND received_at >= %s AND received_at < %s"
    out = {}
    out["totals"] = sql(f"""SELECT sum(eggs_brought), sum({rej}), sum({acc}), sum(amount_due), count(*),
                                count(DISTINCT farmer_id) FROM coop_delivery WHERE {week}""", [ids, start, end], True)
    out["villages"] = sql(f"""SELECT v.id, v.name, sum(d.eggs_brought), sum({rej}), sum({acc}), sum(d.amount_due),
                                  count(*) FROM coop_delivery d JOIN coop_farmer f ON f.id = d.farmer_id
                              JOIN coop_village v ON v.id = f.village_id WHERE d.{week} GROUP BY v.id, v.name""",
                          [ids, start, end], True)
    out["households"] = sql(f"""SELECT f.id, f.member_no, f.head_name, v.name, sum(d.eggs_brought), sum({rej}),
                                    sum({acc}), sum(d.amount_due), count(*) FROM coop_delivery d
                                JOIN coop_farmer f ON f.id = d.farmer_id JOIN coop_village v ON v.id = f.village_id
                                WHERE d.{week} GROUP BY f.id, f.member_no, f.head_name, v.name""",
                            [ids, start, end], True)
    out["per_day"] = sql("""SELECT (received_at AT TIME ZONE 'Asia/Shanghai')::date, sum(eggs_brought)
                            FROM coop_delivery WHERE cooperative_id = ANY(%s) AND received_at >= %s AND received_at < %s
                            GROUP BY 1""", [ids, chart_start, end], True)
    window = TODAY - datetime.timedelta(days=10)
    out["accepted"] = sql("""SELECT sum(accepted_xl), sum(accepted_l), sum(accepted_m), sum(accepted_s)
                             FROM coop_delivery
                             WHERE cooperative_id = ANY(%s) AND laid_from >= %s AND laid_from <= %s""",
                          [ids, window, TODAY], True)
    out["packed"] = sql("""SELECT b.weight_class, sum(c.eggs) FROM coop_batchcontribution c
                           JOIN coop_batch b ON b.id = c.batch_id JOIN coop_delivery d ON d.id = c.delivery_id
                           WHERE d.cooperative_id = ANY(%s) AND d.laid_from >= %s AND d.laid_from <= %s
                           GROUP BY 1""", [ids, window, TODAY], True)
    return out


def ours(ids):
    from django.db.models import Sum

    from coop.models import Delivery
    from quality.services.dashboard import deliveries_summary, eggs_to_pack, per_day

    d = deliveries_summary(ids, TODAY)
    chart = per_day(Delivery.objects.filter(cooperative__in=ids), "received_at",
                    TODAY - datetime.timedelta(days=DAYS - 1), TODAY, value=Sum("eggs_brought"))
    return d, chart, eggs_to_pack(ids, TODAY)


def timed(fn, *args):
    times, result, queries = [], None, 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            result = fn(*args)
            times.append(time.perf_counter() - t)
        queries = len(q)
    return statistics.median(times), queries, result


def main():
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    ids = generate()
    sql("SET statement_timeout = '600s'")
    b_time, b_queries, b = timed(baseline, ids)
    s_time, s_queries, (d, chart, to_pack) = timed(ours, ids)
    # Same numbers, or the comparison means nothing.
    assert d["totals"]["brought"] == b["totals"][0][0] and d["totals"]["deliveries"] == b["totals"][0][4]
    assert len(d["villages"]) == len(b["villages"]) and d["household_count"] == len(b["households"])
    assert sum(n for _d, n in chart) == sum(n for _d, n in b["per_day"])
    assert sum(to_pack.values()) == sum(b["accepted"][0]) - sum(n for _w, n in b["packed"])
    from quality.services.dashboard import dashboard_context

    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True,
                                                                                        "is_staff": True})
    full_time, full_queries, _ctx = timed(dashboard_context, admin)
    small_time, small_queries, _ctx = timed(lambda: dashboard_context(admin, coop_id=ids[0]))
    print(f"hand-written SQL (delivery aggregates) : {b_time * 1000:8.1f} ms  {b_queries:3d} queries")
    print(f"dashboard services (same aggregates)   : {s_time * 1000:8.1f} ms  {s_queries:3d} queries")
    print(f"ratio                                  : {s_time / b_time:8.2f}×")
    print(f"whole dashboard, {len(ids)} cooperatives     : {full_time * 1000:8.1f} ms  {full_queries:3d} queries")
    print(f"whole dashboard, 1 cooperative         : {small_time * 1000:8.1f} ms  {small_queries:3d} queries")
    print(f"total bench time : {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
