"""Province scale (issue 18 item 4): a province's month — 3,000 cooperatives, 300,000 households, a
delivery every third day for 30 days (3,000,000 deliveries and their ledger credits), a batch a day
for the last 10 days in every cooperative, pairing-programme orders packed from them — and four
benches at that size, each beside hand-written SQL doing the same work on the same rows:

- the province office's dashboard (``quality.services.dashboard``: the delivery aggregates across all
  cooperatives, the whole dashboard for all and for one cooperative),
- the month settlement (``coop.services.settlements.settle_period`` over every cooperative),
- the programme report (``orders.services.impact.programme_report``, income and money that reached
  households, one programme and every programme),
- the reconciliation (``quality.services.reconcile``, each check timed and counted on its own).

Every bench checks that its figures equal the SQL's (or the ratio means nothing) and prints its
number of queries; ``main`` runs the benches at two sizes (2 cooperatives and the asked one) and
prints both counts side by side: a count that grows with the number of cooperatives is an N+1.

    .venv/bin/python bench/province.py --scale 0.01     # 30 cooperatives, 3,000 households (a minute)
    .venv/bin/python bench/province.py --scale 0.1      # 300 / 30,000 (the default, run by run_all.py)
    .venv/bin/python bench/province.py --scale 1        # 3,000 / 300,000 (the full province)

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
gs_e_bench), created and migrated on first use and emptied before each size. Rows are written with
PostgreSQL COPY (``generate``; on SQLite, which tests/ops/test_province_scale.py uses at a tiny size,
with executemany in chunks) from the same row definitions, explicit ids, no ORM object per row.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS_PER_COOP = 100
VILLAGES_PER_COOP = 3
DAYS = 30  # the month settled: the 30 days up to today
EVERY = 3  # a household brings eggs every third day
BATCH_DAYS = 10  # each cooperative packs one L batch a day for the last 10 days …
BATCH_DELIVERIES = 5  # … from five of that day's deliveries (12 L eggs each: 60 eggs, 6 boxes of 10)
PROGRAMME_EVERY = 10  # one cooperative in ten has a pairing programme …
ORDERS_PER_BATCH = 2  # … whose buyers bought 2 orders × 2 boxes of each of its batches
PRICES = {"xl": Decimal("1.80"), "l": Decimal("1.50"), "m": Decimal("1.20"), "s": Decimal("1.00")}
ACCEPTED = {"xl": 2, "l": 12, "m": 5, "s": 1}
AMOUNT_DUE = sum((PRICES[k] * n for k, n in ACCEPTED.items()), Decimal("0.00"))  # ¥28.60
FINE = Decimal("-4.00")  # one household in ten was fined once this month
BOX_PRICE = Decimal("39.90")


def cooperatives_for(scale):
    return max(2, round(3000 * scale))


# --- writing rows ------------------------------------------------------------------------------------

class Writer:
    """Writes plain rows (dicts of column → value) of a model: COPY on PostgreSQL, executemany elsewhere.

    Columns not given take the model field's default (computed once per table: the rows of a bench
    share them); ``auto_now_add`` columns take the generation time."""

    CHUNK = 20000

    def __init__(self, connection):
        from django.utils import timezone

        self.connection = connection
        self.now = timezone.now()
        self.rows = {}

    def _columns(self, model, given):
        from django.db.models import NOT_PROVIDED

        cols, defaults, prep = [], {}, {}
        for f in model._meta.concrete_fields:
            cols.append(f.column)
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                defaults[f.attname] = self.now
            elif f.default is not NOT_PROVIDED or f.null or f.blank:
                defaults[f.attname] = f.get_default()
            elif f.attname not in given and not f.primary_key:
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
            kind = f.get_internal_type()
            # COPY adapts Python values itself, except JSON; SQLite needs Django's own conversions.
            if kind == "JSONField" or (self.connection.vendor != "postgresql"
                                       and kind in ("DecimalField", "DateTimeField", "DateField")):
                prep[f.attname] = f
        return cols, defaults, prep

    def write(self, model, rows):
        """Write an iterable of row dicts (each with an explicit ``id``); a column missing from a row takes
        the default, a column without one must be in the first row."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        cols, defaults, prep = self._columns(model, first)
        names = [f.attname for f in model._meta.concrete_fields]

        def as_tuple(row):
            out = []
            for name in names:
                value = row[name] if name in row else defaults[name]
                if name in prep:
                    value = prep[name].get_db_prep_save(value, self.connection)
                out.append(value)
            return out

        table = model._meta.db_table
        n = 0
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cur:
                with cur.cursor.copy(f'COPY "{table}" ({", ".join(cols)}) FROM STDIN') as copy:
                    for row in _chain(first, rows):
                        copy.write_row(as_tuple(row))
                        n += 1
        else:
            sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
            chunk = []
            with self.connection.cursor() as cur:
                for row in _chain(first, rows):
                    chunk.append(as_tuple(row))
                    if len(chunk) >= self.CHUNK:
                        cur.executemany(sql, chunk)
                        n, chunk = n + len(chunk), []
                if chunk:
                    cur.executemany(sql, chunk)
                    n += len(chunk)
        self.rows[model._meta.label] = self.rows.get(model._meta.label, 0) + n
        return n


def _chain(first, rest):
    yield first
    yield from rest


# --- the province ---------------------------------------------------------------------------------------

def generate(cooperatives, today, *, connection=None):
    """Write a province of ``cooperatives`` cooperatives into an empty database; returns the row counts.

    Household ``h`` (0-based within its cooperative) brings eggs on the days ``d`` (0 = 29 days ago)
    where ``(d + h) % 3 == 0``: 10 deliveries each in the month."""
    from django.contrib.auth import get_user_model
    from django.core.management.color import no_style
    from django.db import connection as default_connection
    from django.db import transaction
    from django.utils import timezone

    from coop.models import Batch, BatchContribution, Cooperative, Delivery, Farmer, LedgerEntry, Village
    from orders.models import Allocation, Buyer, Order, OrderLine, Product
    from orders.models.programmes import BuyerOrganisation, Programme, ProgrammeAttribution
    from quality.models import TraceCode

    connection = connection or default_connection
    w = Writer(connection)
    tz = timezone.get_current_timezone()
    first_day = today - datetime.timedelta(days=DAYS - 1)
    days = [first_day + datetime.timedelta(days=d) for d in range(DAYS)]
    per_coop_deliveries = sum(1 for h in range(HOUSEHOLDS_PER_COOP) for d in range(DAYS) if (d + h) % EVERY == 0)

    # Deliveries are numbered cooperative by cooperative, household by household, day by day:
    # ``number[h][d]`` is household h's delivery of day d within its cooperative (1-based).
    number, n = [], 0
    for h in range(HOUSEHOLDS_PER_COOP):
        row = {}
        for d in range(DAYS):
            if (d + h) % EVERY == 0:
                n += 1
                row[d] = n
        number.append(row)

    def delivery_id(c, h, d):
        return c * per_coop_deliveries + number[h][d]

    def farmer_id(c, h):
        return c * HOUSEHOLDS_PER_COOP + h + 1

    with transaction.atomic(using=connection.alias):
        w.write(Cooperative, ({"id": c + 1, "name": f"合作社{c + 1}", "township": f"乡{c + 1}",
                               "county": f"县{c // 100 + 1}", "prefecture": "凉山彝族自治州", "province": "四川省",
                               "producer_code": f"P{c + 1:05d}"} for c in range(cooperatives)))
        w.write(Village, ({"id": c * VILLAGES_PER_COOP + v + 1, "cooperative_id": c + 1, "name": f"村{v + 1}",
                           "altitude_m": 2000 + v * 100}
                          for c in range(cooperatives) for v in range(VILLAGES_PER_COOP)))
        w.write(Farmer, ({"id": farmer_id(c, h), "cooperative_id": c + 1,
                          "village_id": c * VILLAGES_PER_COOP + h % VILLAGES_PER_COOP + 1,
                          "member_no": f"M{h + 1:04d}", "head_name": f"吉克{h + 1}",
                          "phone": f"139{farmer_id(c, h):08d}", "hens": 30, "joined_on": datetime.date(2025, 3, 1)}
                         for c in range(cooperatives) for h in range(HOUSEHOLDS_PER_COOP)))
        received = [timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)), tz) for day in days]

        def deliveries():
            for c in range(cooperatives):
                for h in range(HOUSEHOLDS_PER_COOP):
                    fid = farmer_id(c, h)
                    for d in range(DAYS):
                        if (d + h) % EVERY:
                            continue
                        yield {"id": delivery_id(c, h, d), "cooperative_id": c + 1, "farmer_id": fid,
                               "received_at": received[d], "laid_from": days[d] - datetime.timedelta(days=1),
                               "laid_to": days[d], "eggs_brought": 20 + fid % 4,
                               **{f"accepted_{k}": n for k, n in ACCEPTED.items()},
                               "rejected_cracked": fid % 4, **{f"price_{k}": p for k, p in PRICES.items()},
                               "amount_due": AMOUNT_DUE}

        w.write(Delivery, deliveries())
        source = Delivery._meta.label_lower

        def credits():
            n = 0
            for c in range(cooperatives):
                for h in range(HOUSEHOLDS_PER_COOP):
                    fid = farmer_id(c, h)
                    for d in range(DAYS):
                        if (d + h) % EVERY:
                            continue
                        n += 1
                        did = delivery_id(c, h, d)
                        yield {"id": n, "cooperative_id": c + 1, "farmer_id": fid, "kind": LedgerEntry.DELIVERY,
                               "amount": AMOUNT_DUE, "occurred_on": days[d], "reason": "交蛋",
                               "source_type": source, "source_id": did, "dedupe_key": f"delivery:{did}"}
                    if h % 10 == 0:
                        n += 1
                        yield {"id": n, "cooperative_id": c + 1, "farmer_id": fid, "kind": LedgerEntry.FINE,
                               "amount": FINE, "occurred_on": today, "reason": "罚款：公约第三条",
                               "dedupe_key": f"bench-fine:{fid}"}

        w.write(LedgerEntry, credits())
        # One L batch a day for the last BATCH_DAYS days, from the first five households that brought eggs.
        batch_days = range(DAYS - BATCH_DAYS, DAYS)

        def batch_id(c, i):
            return c * BATCH_DAYS + i + 1

        w.write(Batch, ({"id": batch_id(c, i), "cooperative_id": c + 1, "code": f"P{c + 1:05d}-{days[d]:%y%m%d}-L",
                         "weight_class": "L", "pack_size": 10, "boxes": BATCH_DELIVERIES * ACCEPTED["l"] // 10,
                         "eggs": BATCH_DELIVERIES * ACCEPTED["l"], "laid_from": days[d] - datetime.timedelta(days=1),
                         "laid_to": days[d], "best_before": days[d] + datetime.timedelta(days=28),
                         "status": Batch.PACKED}
                        for c in range(cooperatives) for i, d in enumerate(batch_days)))

        def contributions():
            n = 0
            for c in range(cooperatives):
                for i, d in enumerate(batch_days):
                    households = [h for h in range(HOUSEHOLDS_PER_COOP) if (d + h) % EVERY == 0][:BATCH_DELIVERIES]
                    for h in households:
                        n += 1
                        yield {"id": n, "batch_id": batch_id(c, i), "delivery_id": delivery_id(c, h, d),
                               "eggs": ACCEPTED["l"]}

        w.write(BatchContribution, contributions())
        # Every packed batch has its trace code (printed on its label; its scan page and EPCIS document).
        w.write(TraceCode, ({"id": batch_id(c, i), "batch_id": batch_id(c, i), "code": f"T{batch_id(c, i):09d}"}
                            for c in range(cooperatives) for i in range(BATCH_DAYS)))
        user = get_user_model().objects.db_manager(connection.alias).create(username="bench-canteen")
        buyer = Buyer.objects.db_manager(connection.alias).create(user=user, name="王老师", phone="13800000003")
        programme_coops = [c for c in range(cooperatives) if c % PROGRAMME_EVERY == 0]
        w.write(Product, ({"id": c + 1, "cooperative_id": c + 1, "name": "10枚装", "weight_class": "L",
                           "pack_size": 10, "price": BOX_PRICE} for c in range(cooperatives)))
        w.write(Programme, ({"id": k + 1, "cooperative_id": c + 1, "code": f"PG{k + 1:04d}",
                             "name": f"东西部协作{k + 1}", "east_organisation": "佛山市禅城区紫南村",
                             "east_city": "佛山市", "east_province": "广东省", "starts_on": datetime.date(2016, 10, 1)}
                            for k, c in enumerate(programme_coops)))
        w.write(BuyerOrganisation, ({"id": k + 1, "cooperative_id": c + 1, "name": f"南庄镇中心小学食堂{k + 1}",
                                     "kind": BuyerOrganisation.INSTITUTION} for k, c in enumerate(programme_coops)))
        orders = [(k, c, i, j) for k, c in enumerate(programme_coops) for i in range(BATCH_DAYS)
                  for j in range(ORDERS_PER_BATCH)]
        paid = [timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)), tz) for day in days]
        w.write(Order, ({"id": n + 1, "cooperative_id": c + 1, "buyer_id": buyer.pk, "number": f"N{n + 1:09d}",
                         "status": Order.COMPLETED, "total": BOX_PRICE * 2, "pickup_code": f"Q{n + 1:09d}",
                         "placed_at": paid[DAYS - BATCH_DAYS + i], "paid_at": paid[DAYS - BATCH_DAYS + i],
                         "pay_by": paid[DAYS - BATCH_DAYS + i]} for n, (k, c, i, j) in enumerate(orders)))
        w.write(OrderLine, ({"id": n + 1, "order_id": n + 1, "product_id": c + 1, "name": "10枚装",
                             "weight_class": "L", "pack_size": 10, "boxes": 2, "unit_price": BOX_PRICE}
                            for n, (k, c, i, j) in enumerate(orders)))
        w.write(Allocation, ({"id": n + 1, "line_id": n + 1, "batch_id": batch_id(c, i), "boxes": 2}
                             for n, (k, c, i, j) in enumerate(orders)))
        w.write(ProgrammeAttribution, ({"id": n + 1, "order_id": n + 1, "programme_id": k + 1,
                                        "organisation_id": k + 1, "source": ProgrammeAttribution.LINK}
                                       for n, (k, c, i, j) in enumerate(orders)))
        models = [Cooperative, Village, Farmer, Delivery, LedgerEntry, Batch, BatchContribution, TraceCode, Product,
                  Programme, BuyerOrganisation, Order, OrderLine, Allocation, ProgrammeAttribution]
        with connection.cursor() as cur:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cur.execute(statement)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in models:
                cur.execute(f'ANALYZE "{model._meta.db_table}"')
    return w.rows


def empty(connection):
    """Empty every table the province writes (PostgreSQL bench database only)."""
    with connection.cursor() as cur:
        cur.execute("SET statement_timeout = '900s'")
        cur.execute("TRUNCATE coop_cooperative, auth_user RESTART IDENTITY CASCADE")


# --- measuring ---------------------------------------------------------------------------------------

def measure(fn, runs=1, label=None):
    """(median seconds, queries of the last run, what it returned). Queries are counted by a wrapper
    around every statement sent (Django's query log keeps only the last 9,000)."""
    from django.db import connection

    times, result, counted = [], None, [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    for _i in range(runs):
        counted[0] = 0
        with connection.execute_wrapper(count):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
    if PROGRESS:
        print(f"  … {label or fn.__name__}: {statistics.median(times):.2f} s, {counted[0]} queries",
              flush=True)
    return statistics.median(times), counted[0], result


PROGRESS = False  # main() prints each step as it ends (a full-size run takes most of an hour)


def rows(statement, params=()):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(statement, list(params))
        return cur.fetchall()


def _local_date(column):
    """SQL for the local (Asia/Shanghai) date of a timestamp column, as Django's TruncDate computes it."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"date({column}, '+8 hours')"  # SQLite stores UTC text; the site's zone is UTC+8 all year


# --- (1) the province office's dashboard ---------------------------------------------------------------

REJ = ("d.rejected_cracked + d.rejected_dirty + d.rejected_blood + d.rejected_rotten + d.rejected_undersized"
       " + d.rejected_other")
ACC = "d.accepted_xl + d.accepted_l + d.accepted_m + d.accepted_s"
COUNTED_SQL = "d.flagged = %s AND d.cancelled_at IS NULL"


def dashboard_sql(today):
    """The dashboard's delivery figures for every cooperative by hand: six statements."""
    from coop.services.packing import window_start
    from quality.services.dashboard import CHART_DAYS, _day_bounds, week_start

    start, end = _day_bounds(week_start(today), today)
    chart_start, _end = _day_bounds(today - datetime.timedelta(days=CHART_DAYS - 1), today)
    week = f"{COUNTED_SQL} AND d.received_at >= %s AND d.received_at < %s"
    wp = [False, start, end]
    out = {"totals": rows(f"""SELECT sum(d.eggs_brought), sum({REJ}), sum({ACC}), sum(d.amount_due), count(*),
                                  count(DISTINCT d.farmer_id) FROM coop_delivery d WHERE {week}""", wp)[0]}
    out["villages"] = rows(f"""SELECT f.village_id, sum(d.eggs_brought), sum({REJ}), count(*) FROM coop_delivery d
                               JOIN coop_farmer f ON f.id = d.farmer_id WHERE {week} GROUP BY f.village_id""", wp)
    out["households"] = rows(f"""SELECT d.farmer_id, f.member_no, f.head_name, v.name, sum(d.eggs_brought),
                                     sum({REJ}), sum(d.amount_due), count(*) FROM coop_delivery d
                                 JOIN coop_farmer f ON f.id = d.farmer_id JOIN coop_village v ON v.id = f.village_id
                                 WHERE {week} GROUP BY d.farmer_id, f.member_no, f.head_name, v.name""", wp)
    out["per_day"] = rows(f"""SELECT {_local_date('d.received_at')}, sum(d.eggs_brought) FROM coop_delivery d
                              WHERE {COUNTED_SQL} AND d.received_at >= %s AND d.received_at < %s GROUP BY 1""",
                          [False, chart_start, end])
    window = [False, window_start(today), today]
    out["accepted"] = rows(f"""SELECT sum(d.accepted_xl), sum(d.accepted_l), sum(d.accepted_m), sum(d.accepted_s)
                               FROM coop_delivery d
                               WHERE {COUNTED_SQL} AND d.laid_from >= %s AND d.laid_from <= %s""", window)[0]
    out["packed"] = rows(f"""SELECT b.weight_class, sum(c.eggs) FROM coop_batchcontribution c
                             JOIN coop_batch b ON b.id = c.batch_id JOIN coop_delivery d ON d.id = c.delivery_id
                             WHERE {COUNTED_SQL} AND d.laid_from >= %s AND d.laid_from <= %s GROUP BY 1""", window)
    return out


def dashboard_service(ids, today):
    from django.db.models import Sum

    from coop.models import Delivery
    from quality.services.dashboard import CHART_DAYS, deliveries_summary, eggs_to_pack, per_day

    chart = per_day(Delivery.objects.counted().filter(cooperative__in=ids), "received_at",
                    today - datetime.timedelta(days=CHART_DAYS - 1), today, value=Sum("eggs_brought"))
    return deliveries_summary(ids, today), chart, eggs_to_pack(ids, today)


def dashboard_same(ours, hand):
    """The service's figures equal the SQL's, or the comparison means nothing."""
    d, chart, to_pack = ours
    t = d["totals"]
    brought, rejected, accepted, amount, deliveries, households = hand["totals"]
    assert (t["brought"], t["rejected"], t["accepted"], t["deliveries"], t["households"]) == (
        brought, rejected, accepted, deliveries, households), (t, hand["totals"])
    assert Decimal(t["amount"]).quantize(Decimal("0.01")) == Decimal(str(amount)).quantize(Decimal("0.01"))
    assert {v["farmer__village_id"]: (v["brought"], v["rejected"], v["deliveries"]) for v in d["villages"]} == {
        vid: (b, r, n) for vid, b, r, n in hand["villages"]}
    assert d["household_count"] == len(hand["households"])
    top = sorted(hand["households"], key=lambda r: (-r[4], r[1]))[:len(d["households"])]
    assert [h["brought"] for h in d["households"]] == [r[4] for r in top]
    assert {str(day): n for day, n in chart if n} == {str(day): n for day, n in hand["per_day"] if n}
    packed = dict(hand["packed"])
    assert to_pack == {wc: (n or 0) - (packed.get(wc) or 0) for wc, n in zip(("XL", "L", "M", "S"),
                                                                              hand["accepted"], strict=True)}


def bench_dashboard(today, runs):
    from django.contrib.auth import get_user_model

    from coop.models import Cooperative
    from quality.services.dashboard import dashboard_context

    ids = list(Cooperative.objects.order_by("pk").values_list("pk", flat=True))
    b_time, b_queries, hand = measure(lambda: dashboard_sql(today), runs, "dashboard SQL")
    s_time, s_queries, ours = measure(lambda: dashboard_service(ids, today), runs, "dashboard services")
    dashboard_same(ours, hand)
    office, _created = get_user_model().objects.get_or_create(
        username="bench-province-office", defaults={"is_superuser": True, "is_staff": True})
    all_time, all_queries, _ctx = measure(lambda: dashboard_context(office, today=today), runs, "dashboard, all")
    one_time, one_queries, _ctx = measure(lambda: dashboard_context(office, today=today, coop_id=ids[-1]), runs,
                                           "dashboard, one")
    return [("dashboard: delivery figures, all cooperatives", s_time, s_queries, b_time, b_queries),
            ("dashboard: whole page, all cooperatives", all_time, all_queries, None, None),
            ("dashboard: whole page, one cooperative", one_time, one_queries, None, None)]


# --- (2) the month settlement ---------------------------------------------------------------------------

def settlement_sql(start, end):
    """Settle the month by hand (two statements), read the payslips' fingerprint, and undo it all."""
    from django.db import connection, transaction

    from coop.models import Delivery, LedgerEntry

    class Undo(Exception):
        pass

    held = (f" AND NOT EXISTS (SELECT 1 FROM coop_delivery d WHERE l.source_type = '{Delivery._meta.label_lower}'"
            " AND d.id = l.source_id AND d.flagged = %s AND d.cancelled_at IS NULL)")
    out = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                t = time.perf_counter()
                cur.execute(f"""INSERT INTO coop_settlement (cooperative_id, farmer_id, period_start, period_end,
                                    status, gross, fines, rewards, adjustments, net, created_at, payment_reference)
                                SELECT l.cooperative_id, l.farmer_id, %s, %s, 'draft',
                                    SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END),
                                    SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END),
                                    SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END),
                                    SUM(CASE WHEN l.kind IN (%s, %s) THEN l.amount ELSE 0 END),
                                    SUM(l.amount), %s, ''
                                FROM coop_ledgerentry l WHERE l.settlement_id IS NULL AND l.occurred_on <= %s{held}
                                GROUP BY l.cooperative_id, l.farmer_id""",
                            [start, end, LedgerEntry.DELIVERY, LedgerEntry.FINE, LedgerEntry.REWARD,
                             LedgerEntry.ADJUSTMENT, LedgerEntry.PAYOUT, datetime.datetime.now(datetime.UTC), end,
                             True])
                out["created"] = cur.rowcount
                cur.execute(f"""UPDATE coop_ledgerentry AS l SET settlement_id = s.id FROM coop_settlement s
                                WHERE s.farmer_id = l.farmer_id AND s.period_start = %s AND s.period_end = %s
                                  AND l.settlement_id IS NULL AND l.occurred_on <= %s{held}""",
                            [start, end, end, True])
                out["lines"] = cur.rowcount
                if connection.vendor == "postgresql":
                    # The foreign keys are checked at commit, which this undone transaction never reaches:
                    # check them now, inside the timing, as the service's commit does.
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                out["seconds"] = time.perf_counter() - t
            out["fingerprint"] = settlement_fingerprint(start, end)
            raise Undo
    except Undo:
        pass
    return out


def settlement_fingerprint(start, end):
    """Count and sums of the period's payslips, and a sum weighting each net by its household (a payslip
    paying one household's money to another changes it)."""
    (n, gross, fines, net, weighted), = rows(
        """SELECT count(*), sum(gross), sum(fines), sum(net), sum(net * farmer_id) FROM coop_settlement
           WHERE period_start = %s AND period_end = %s""", [start, end])
    return n, *(Decimal(str(v or 0)).quantize(Decimal("0.01")) for v in (gross, fines, net, weighted))


def bench_settlement(today):
    from coop.services.settlements import settle_period

    start, end = today - datetime.timedelta(days=DAYS - 1), today
    hand = settlement_sql(start, end)
    b_queries = 2  # the INSERT and the UPDATE (timed alone: the fingerprint and the undo are not part of it)
    s_time, s_queries, result = measure(lambda: settle_period(period_start=start, period_end=end),
                                        label="settle_period")
    assert (result["settlements_created"], result["lines_settled"]) == (hand["created"], hand["lines"]), (
        result, hand)
    assert settlement_fingerprint(start, end) == hand["fingerprint"], (settlement_fingerprint(start, end), hand)
    return [("settlement: the month, every cooperative", s_time, s_queries, hand["seconds"], b_queries)], result


# --- (3) the programme report -----------------------------------------------------------------------------

def programme_sql():
    """Each programme's income and money that reached households, by hand: one statement each."""
    from orders.services.programmes import COUNTED_STATUSES

    statuses = ", ".join(["%s"] * len(COUNTED_STATUSES))
    counted = (f"o.status IN ({statuses}) AND o.paid_at IS NOT NULL")
    income = rows(f"""SELECT a.programme_id, sum(o.total - coalesce((SELECT sum(r.amount_fen) FROM orders_refund r
                                 WHERE r.order_id = o.id AND r.status = 'succeeded'), 0) / 100.0)
                      FROM orders_programmeattribution a JOIN orders_order o ON o.id = a.order_id
                      WHERE {counted} GROUP BY a.programme_id""", COUNTED_STATUSES)
    reached = rows(f"""SELECT a.programme_id, sum(al.boxes * ol.pack_size * c.eggs * 1.0 / b.eggs
                              * cr.credit * (CASE b.weight_class WHEN 'XL' THEN d.price_xl WHEN 'L' THEN d.price_l
                                  WHEN 'M' THEN d.price_m ELSE d.price_s END) / d.amount_due)
                       FROM orders_programmeattribution a JOIN orders_order o ON o.id = a.order_id
                       JOIN orders_orderline ol ON ol.order_id = o.id JOIN orders_allocation al ON al.line_id = ol.id
                       JOIN coop_batch b ON b.id = al.batch_id JOIN coop_batchcontribution c ON c.batch_id = b.id
                       JOIN coop_delivery d ON d.id = c.delivery_id
                       JOIN (SELECT source_id, sum(amount) AS credit FROM coop_ledgerentry
                             WHERE kind IN ('delivery', 'adjustment') AND source_type = 'coop.delivery'
                             GROUP BY source_id) cr ON cr.source_id = d.id
                       WHERE {counted} AND d.amount_due <> 0 GROUP BY a.programme_id""", COUNTED_STATUSES)
    money = Decimal("0.01")
    return {pid: (Decimal(str(i)).quantize(money), Decimal("0.00")) for pid, i in income} | {
        pid: (Decimal(str(dict(income)[pid])).quantize(money), Decimal(str(r)).quantize(money)) for pid, r in reached}


def bench_programmes(most=None):
    """``most``: report at most that many programmes one by one (a full province has 300; each report reads
    the ledger lines of its deliveries)."""
    from orders.models import Programme
    from orders.services import impact

    every = Programme.objects.order_by("pk")
    programmes = list(every[:most] if most else every)
    b_time, b_queries, hand = measure(programme_sql)
    hand = {pk: v for pk, v in hand.items() if pk in {p.pk for p in programmes}}
    one_time, one_queries, report = measure(lambda: impact.programme_report(programmes[-1]), label="one report")
    all_time, all_queries, reports = measure(lambda: [impact.programme_report(p) for p in programmes],
                                              label="every report")
    got = {p.pk: (r["totals"]["income"], r["totals"]["reached"]) for p, r in zip(programmes, reports, strict=True)}
    assert got == hand, (got, hand)
    assert (report["totals"]["income"], report["totals"]["reached"]) == hand[programmes[-1].pk]
    return [("programme report: one programme", one_time, one_queries, None, None),
            (f"programme report: {len(programmes)} programmes one by one", all_time, all_queries, None, None),
            ("programme report: every programme, by hand (SQL)", None, None, b_time, b_queries)]


# --- (4) the reconciliation ---------------------------------------------------------------------------------

def reconcile_sql(today):
    """What the reconciliation's ledger, delivery, batch, fund and dashboard checks look for, by hand: the
    number of rows that disagree, per check (one statement each)."""
    from coop.models import PACKING_WINDOW_DAYS
    from quality.services.dashboard import _day_bounds, week_start

    out = {}
    out["settlements"] = rows("""SELECT count(*) FROM coop_settlement s LEFT JOIN (
            SELECT settlement_id AS sid, sum(CASE WHEN kind = 'delivery' THEN amount ELSE 0 END) AS gross,
                   sum(CASE WHEN kind = 'fine' THEN amount ELSE 0 END) AS fines, sum(amount) AS net
            FROM coop_ledgerentry WHERE settlement_id IS NOT NULL AND NOT (source_type = 'coop.settlement'
                AND source_id = settlement_id) GROUP BY settlement_id) a ON a.sid = s.id
        WHERE s.gross <> coalesce(a.gross, 0) OR s.fines <> coalesce(a.fines, 0)
           OR s.net <> coalesce(a.net, 0)""")[0][0]
    # The published balance is the same ledger sum: what is measured is the cost of computing every one.
    out["balances"] = rows("""SELECT count(*) FROM (SELECT farmer_id, sum(amount) FROM coop_ledgerentry
                              GROUP BY farmer_id) b""")[0][0]
    out["delivery_credits"] = rows("""SELECT count(*) FROM coop_delivery d LEFT JOIN (
            SELECT source_id, sum(amount) AS credit FROM coop_ledgerentry WHERE source_type = 'coop.delivery'
            GROUP BY source_id) c ON c.source_id = d.id
        WHERE d.amount_due <> d.accepted_xl * d.price_xl + d.accepted_l * d.price_l + d.accepted_m * d.price_m
                              + d.accepted_s * d.price_s
           OR (d.cancelled_at IS NULL AND d.flagged = %s AND coalesce(c.credit, 0) <> d.amount_due)""", [False])[0][0]
    out["batches"] = rows("""SELECT count(*) FROM coop_batch b LEFT JOIN (SELECT batch_id, sum(eggs) AS eggs
            FROM coop_batchcontribution GROUP BY batch_id) c ON c.batch_id = b.id
        WHERE b.eggs <> coalesce(c.eggs, 0) OR b.eggs <> b.boxes * b.pack_size""")[0][0]
    out["fund"] = rows("""SELECT count(*) FROM (SELECT cooperative_id, pool, sum(amount) AS balance
                          FROM coop_fundentry GROUP BY cooperative_id, pool) f WHERE f.balance < 0""")[0][0]
    start, end = _day_bounds(week_start(today), today)
    window_from = today - datetime.timedelta(days=PACKING_WINDOW_DAYS)
    out["dashboard"] = len(rows(f"""SELECT d.cooperative_id, count(*), sum(d.eggs_brought), sum({ACC}),
                                       sum(d.amount_due), count(DISTINCT d.farmer_id) FROM coop_delivery d
                                    WHERE {COUNTED_SQL} AND d.received_at >= %s AND d.received_at < %s
                                    GROUP BY d.cooperative_id""", [False, start, end]))
    out["dashboard"] += len(rows(f"""SELECT d.cooperative_id, sum({ACC}) - coalesce(sum(p.eggs), 0)
                                     FROM coop_delivery d LEFT JOIN (SELECT delivery_id, sum(eggs) AS eggs
                                         FROM coop_batchcontribution GROUP BY delivery_id) p ON p.delivery_id = d.id
                                     WHERE {COUNTED_SQL} AND d.laid_from >= %s AND d.laid_from <= %s
                                     GROUP BY d.cooperative_id""", [False, window_from, today]))
    return out


# Checks with a hand-written SQL twin above (the others render each batch's EPCIS document or scan page,
# or each programme's report: their SQL twin is the programme bench's).
SQL_TWINS = ("settlements", "balances", "delivery_credits", "batches", "fund", "dashboard")


def bench_reconcile(today, skip=()):
    from django.db import transaction

    from quality.services import reconcile

    found = {}
    out = []
    b_time, b_queries, hand = measure(lambda: reconcile_sql(today), label="reconcile SQL")
    with transaction.atomic():  # one snapshot, as run_reconciliation reads
        for name, check in reconcile.CHECKS:
            if name in skip:
                out.append((f"reconcile: {name} (skipped at this size)", None, None, None, None))
                continue
            fn = (lambda c=check: c(today)) if name == "dashboard" else check
            t, q, mismatches = measure(fn, label=f"reconcile {name}")
            found[name] = mismatches
            out.append((f"reconcile: {name}", t, q, None, None))
    for name in SQL_TWINS:
        if name in found and name not in ("balances", "dashboard"):
            assert len(found[name]) == hand[name], (name, found[name][:3], hand[name])
    twins = [r for r in out if r[0].removeprefix("reconcile: ") in SQL_TWINS]
    every = [r for r in out if r[1] is not None]
    out.append((f"reconcile: the {len(twins)} checks with an SQL twin", sum(r[1] for r in twins),
                sum(r[2] for r in twins), b_time, b_queries))
    out.append(("reconcile: every check run", sum(r[1] for r in every), sum(r[2] for r in every), None, None))
    return out, found


# --- the run ------------------------------------------------------------------------------------------------

def run(cooperatives, today, *, runs=1, reconcile_skip=(), most_programmes=None):
    """Generate a province of ``cooperatives`` cooperatives and run the four benches; returns
    ``{"generated": {...}, "generation_s": s, "rows": [(what, s, queries, sql_s, sql_queries)]}``."""
    t = time.perf_counter()
    generated = generate(cooperatives, today)
    generation = time.perf_counter() - t
    if PROGRESS:
        print(f"  … generated {cooperatives} cooperatives in {generation:.1f} s", flush=True)
    out = bench_dashboard(today, runs)
    rows_settle, _result = bench_settlement(today)
    out += rows_settle
    out += bench_programmes(most_programmes)
    rec, found = bench_reconcile(today, skip=reconcile_skip)
    out += rec
    return {"generated": generated, "generation_s": generation, "rows": out, "mismatches": found}


def _fmt_s(s):
    return "" if s is None else (f"{s * 1000:8.1f} ms" if s < 10 else f"{s:8.1f} s ")


def report(small, big, cooperatives):
    print(f"\n{'what':48} {'service':>11} {'queries':>7} {'hand SQL':>11} {'queries':>7} {'ratio':>6} "
          f"{'queries at 2 co-ops':>19}")
    for (what, s, q, b, bq), (_w, _s, q_small, _b, _bq) in zip(big["rows"], small["rows"], strict=True):
        ratio = f"{s / b:5.2f}×" if s is not None and b else ""
        print(f"{what:48} {_fmt_s(s):>11} {'' if q is None else q:>7} {_fmt_s(b):>11} {'' if bq is None else bq:>7} "
              f"{ratio:>6} {'' if q_small is None else q_small:>19}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "0.1")),
                        help="1 = 3,000 cooperatives and 300,000 households; 0.01 for a quick run")
    parser.add_argument("--runs", type=int, default=1, help="runs of the dashboard bench (median)")
    parser.add_argument("--programmes", type=int, default=None,
                        help="report at most this many programmes one by one (default: all)")
    parser.add_argument("--skip", default="", help="reconciliation checks to leave out at the asked size "
                        "(comma-separated, e.g. epcis,programmes,programme_households)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gs_e_bench")
    os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", DATABASE_URL=db_url, LOG_LEVEL="WARNING")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import ensure_database

    ensure_database(db_url, "province")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    global PROGRESS
    PROGRESS = True
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    cooperatives = cooperatives_for(args.scale)
    empty(connection)
    small = run(2, today)
    empty(connection)
    print(f"generating {cooperatives:,} cooperatives, {cooperatives * HOUSEHOLDS_PER_COOP:,} households …", flush=True)
    big = run(cooperatives, today, runs=args.runs, reconcile_skip=set(filter(None, args.skip.split(","))),
              most_programmes=args.programmes)
    print(f"generated in {big['generation_s']:.1f} s: " + ", ".join(
        f"{label.split('.')[1]} {n:,}" for label, n in big["generated"].items()))
    report(small, big, cooperatives)
    print(f"\ntotal bench time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
