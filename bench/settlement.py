"""Settlement speed: a prefecture's month — 30,000 households × 30 deliveries (900,000 ledger lines)
— settled by ``coop.services.settlements.settle_period`` on PostgreSQL, side by side with hand-written
SQL doing the same reads and writes (one INSERT…SELECT aggregate, one UPDATE marking the lines
settled) on a copy of the same rows with the same indexes and foreign keys.

Prints the time and the number of queries of each, and their ratio. Target: within 3× of the SQL,
with a constant number of queries (no per-household loop).

    .venv/bin/python bench/settlement.py                     # full size (a few minutes)
    BENCH_HOUSEHOLDS=3000 .venv/bin/python bench/settlement.py   # quick run

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
gs_h1_bench), created and migrated on first use; rows are generated with set-based SQL
(generate_series), not the ORM one by one. Every statement runs under a 10-minute statement_timeout.
"""

import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gs_h1_bench")
HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "30000"))
DELIVERIES_EACH = 30
PER_COOP = 100  # households per cooperative (a prefecture: 300 cooperatives)
PERIOD = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))

os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", DATABASE_URL=DB_URL)
os.environ.pop("REDIS_URL", None)


from common import ensure_database  # noqa: E402

ensure_database(DB_URL, "settlement")

import django  # noqa: E402

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def sql(statement, params=None):
    with connection.cursor() as cur:
        cur.execute(statement, params or [])
        return cur.rowcount


def generate():
    """Fresh rows: cooperatives, villages, households, deliveries, their ledger credits, some fines."""
    t = time.perf_counter()
    sql("SET statement_timeout = '600s'")
    sql("TRUNCATE coop_cooperative RESTART IDENTITY CASCADE")
    coops = max(1, HOUSEHOLDS // PER_COOP)
    with transaction.atomic():
        sql("""INSERT INTO coop_cooperative (name, short_name, township, county, prefecture, province, producer_code,
                   gtin, trademark, product_name, default_pack_sizes, phone, address, husbandry,
                   publish_farmer_names, created_at)
               SELECT '合作社' || i, '', '乡' || i, '县', '凉山彝族自治州', '四川省', 'B' || lpad(i::text, 5, '0'),
                   '', '', '高山散养绿壳鸡蛋', '10,15,30', '', '', '', false, now()
               FROM generate_series(1, %s) i""", [coops])
        sql("""INSERT INTO coop_village (cooperative_id, name, township, altitude_m)
               SELECT c.id, '村' || v, '', 2000 + v * 100 FROM coop_cooperative c, generate_series(1, 3) v""")
        sql("""INSERT INTO coop_farmer (cooperative_id, village_id, member_no, head_name, phone, poverty_status, hens,
                   payout_method, payout_account, stamp_code, active, suspension_reason, joined_on)
               SELECT c.id, (SELECT min(id) FROM coop_village v WHERE v.cooperative_id = c.id) + (n %% 3),
                   'M' || lpad(n::text, 4, '0'), '吉克' || n, '139' || lpad((c.id * 1000 + n)::text, 8, '0'),
                   'monitored', 30, 'wechat', '6222' || lpad(n::text, 12, '0'), '', true, '', '2025-03-01'
               FROM coop_cooperative c, generate_series(1, %s) n""", [PER_COOP])
        sql("""INSERT INTO coop_delivery (cooperative_id, farmer_id, received_at, laid_from, laid_to, eggs_brought,
                   accepted_xl, accepted_l, accepted_m, accepted_s, rejected_cracked, rejected_dirty, rejected_blood,
                   rejected_rotten, rejected_undersized, rejected_other, price_xl, price_l, price_m, price_s,
                   amount_due, flagged, flag_reason, note, created_at)
               SELECT f.cooperative_id, f.id, %s::date + (d - 1) + time '09:30', %s::date + (d - 1),
                   %s::date + (d - 1), 22, 2, 12, 5, 1, 1, 1, 0, 0, 0, 0, 1.80, 1.50, 1.20, 1.00,
                   2 * 1.80 + 12 * 1.50 + 5 * 1.20 + 1 * 1.00, false, '', '', now()
               FROM coop_farmer f, generate_series(1, %s) d""", [PERIOD[0], PERIOD[0], PERIOD[0], DELIVERIES_EACH])
        sql("""INSERT INTO coop_ledgerentry (cooperative_id, farmer_id, kind, amount, occurred_on, reason, source_type,
                   source_id, dedupe_key, created_at)
               SELECT d.cooperative_id, d.farmer_id, 'delivery', d.amount_due, d.laid_to, '交蛋', 'coop.delivery',
                   d.id, 'delivery:' || d.id, now()
               FROM coop_delivery d""")
        sql("""INSERT INTO coop_ledgerentry (cooperative_id, farmer_id, kind, amount, occurred_on, reason, source_type,
                   dedupe_key, created_at)
               SELECT f.cooperative_id, f.id, 'fine', -4.00, %s, '罚款：公约第三条', '', 'bench-fine:' || f.id, now()
               FROM coop_farmer f WHERE f.id %% 10 = 0""", [PERIOD[1]])
    sql("VACUUM ANALYZE coop_ledgerentry")
    sql("ANALYZE coop_farmer")
    lines = sql("SELECT 1 FROM coop_ledgerentry")
    print(f"generated {HOUSEHOLDS:,} households in {coops} cooperatives, {lines:,} ledger lines "
          f"in {time.perf_counter() - t:.1f} s", flush=True)


def copy_for_baseline():
    """The same rows in plain tables with the same indexes, constraints and foreign keys."""
    sql("DROP TABLE IF EXISTS bench_ledger, bench_settlement")
    sql("CREATE TABLE bench_settlement (LIKE coop_settlement INCLUDING ALL)")
    sql("CREATE TABLE bench_ledger (LIKE coop_ledgerentry INCLUDING ALL)")
    sql("INSERT INTO bench_ledger SELECT * FROM coop_ledgerentry")
    sql("""ALTER TABLE bench_ledger ADD FOREIGN KEY (settlement_id) REFERENCES bench_settlement (id)
           DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (farmer_id) REFERENCES coop_farmer (id)
           DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (cooperative_id) REFERENCES coop_cooperative (id)
           DEFERRABLE INITIALLY DEFERRED""")
    sql("""ALTER TABLE bench_settlement ADD FOREIGN KEY (farmer_id) REFERENCES coop_farmer (id)
           DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (cooperative_id) REFERENCES coop_cooperative (id)
           DEFERRABLE INITIALLY DEFERRED""")
    sql("VACUUM ANALYZE bench_ledger")


def baseline():
    start, end = PERIOD
    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        with transaction.atomic():
            created = sql("""INSERT INTO bench_settlement (cooperative_id, farmer_id, period_start, period_end, status,
                                 gross, fines, rewards, adjustments, net, created_at, payment_reference)
                             SELECT cooperative_id, farmer_id, %s, %s, 'draft',
                                 SUM(CASE WHEN kind = 'delivery' THEN amount ELSE 0 END),
                                 SUM(CASE WHEN kind = 'fine' THEN amount ELSE 0 END),
                                 SUM(CASE WHEN kind = 'reward' THEN amount ELSE 0 END),
                                 SUM(CASE WHEN kind IN ('adjustment', 'payout') THEN amount ELSE 0 END),
                                 SUM(amount), now(), ''
                             FROM bench_ledger WHERE settlement_id IS NULL AND occurred_on <= %s
                             GROUP BY cooperative_id, farmer_id""", [start, end, end])
            lines = sql("""UPDATE bench_ledger l SET settlement_id = s.id FROM bench_settlement s
                           WHERE s.farmer_id = l.farmer_id AND s.period_start = %s AND s.period_end = %s
                             AND l.settlement_id IS NULL AND l.occurred_on <= %s""", [start, end, end])
        elapsed = time.perf_counter() - t
    return elapsed, len(queries), created, lines


def service():
    from coop.services.settlements import settle_period

    with CaptureQueriesContext(connection) as queries:
        t = time.perf_counter()
        result = settle_period(period_start=PERIOD[0], period_end=PERIOD[1])
        elapsed = time.perf_counter() - t
    return elapsed, len(queries), result["settlements_created"], result["lines_settled"]


def check_same():
    """Both produced the same payslips (per household net), or the comparison means nothing."""
    differ = sql("""SELECT 1 FROM coop_settlement s JOIN bench_settlement b ON b.farmer_id = s.farmer_id
                    WHERE (s.gross, s.fines, s.rewards, s.adjustments, s.net)
                       <> (b.gross, b.fines, b.rewards, b.adjustments, b.net)""")
    assert differ == 0, f"{differ} settlements differ between the service and the SQL baseline"


def main():
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    generate()
    copy_for_baseline()
    sql("SET statement_timeout = '600s'")
    b_time, b_queries, b_created, b_lines = baseline()
    s_time, s_queries, s_created, s_lines = service()
    assert (s_created, s_lines) == (b_created, b_lines), ((s_created, s_lines), (b_created, b_lines))
    check_same()
    again_time, again_queries, again_created, again_lines = service()
    print(f"hand-written SQL : {b_time:7.2f} s  {b_queries:3d} queries  {b_created:,} settlements, "
          f"{b_lines:,} lines")
    print(f"settle_period()  : {s_time:7.2f} s  {s_queries:3d} queries  {s_created:,} settlements, "
          f"{s_lines:,} lines")
    print(f"ratio            : {s_time / b_time:7.2f}× the hand-written SQL (target ≤ 3×)")
    print(f"second run       : {again_time:7.2f} s  {again_queries:3d} queries  {again_created} settlements, "
          f"{again_lines} lines (settles nothing twice)")
    print(f"total bench time : {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
