"""The province bench at a tiny size (issue 18 item 4): bench/province.py's generator writes 2 and then 6
cooperatives, and every bench's figures equal its hand-written SQL's (each bench asserts that itself)
while no query count grows with the number of cooperatives — except the checks that render one
document per batch or per programme, which are named here with their growth."""

import datetime
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import province  # noqa: E402  (bench/ is not a package: the bench runs as a script)

# Reconciliation checks that call a per-batch / per-programme service for their "found" side by design
# (the EPCIS document and scan page of each batch, the report of each programme).
PER_DOCUMENT = {"reconcile: epcis", "reconcile: scan_pages", "reconcile: programmes",
                "reconcile: programme_households", "reconcile: every check run",
                "programme report: 1 programmes one by one"}


def _counts(result):
    return {what: q for what, _s, q, _b, _bq in result["rows"]}


@pytest.mark.django_db
def test_the_province_generator_writes_the_province_it_says():
    today = datetime.date(2026, 10, 31)
    rows = province.generate(2, today)
    per_coop = province.HOUSEHOLDS_PER_COOP * province.DAYS // province.EVERY
    assert rows["coop.Farmer"] == 2 * province.HOUSEHOLDS_PER_COOP
    assert rows["coop.Delivery"] == 2 * per_coop
    assert rows["coop.LedgerEntry"] == 2 * per_coop + 2 * province.HOUSEHOLDS_PER_COOP // 10
    assert rows["coop.BatchContribution"] == 2 * province.BATCH_DAYS * province.BATCH_DELIVERIES
    from coop.models import Delivery, Farmer
    from coop.services import ledger

    farmer = Farmer.objects.get(pk=1)
    assert ledger.balance(farmer) == province.AMOUNT_DUE * 10 + province.FINE  # 10 deliveries, 1 fine
    assert Delivery.objects.filter(cooperative_id=2).count() == per_coop
    assert Delivery.objects.order_by("-pk").first().pk == 2 * per_coop  # explicit ids, sequences reset after
    assert Delivery.objects.create(cooperative_id=1, farmer=farmer, laid_from=today, laid_to=today,
                                   eggs_brought=1, accepted_l=1).pk == 2 * per_coop + 1


@pytest.mark.django_db
def test_every_bench_agrees_with_its_sql_and_no_count_grows_with_cooperatives(django_db_blocker):
    from django.db import connection

    today = datetime.date.today()
    small = province.run(2, today)
    with connection.cursor() as cur:  # a fresh province of 6 (the test's transaction is undone after)
        for table in ("orders_programmeattribution", "orders_allocation", "orders_orderline", "orders_order",
                      "orders_buyerorganisation", "orders_programme", "orders_product", "orders_buyer",
                      "quality_tracecode", "coop_batchcontribution", "coop_batch", "coop_settlement",
                      "coop_ledgerentry", "coop_delivery", "coop_farmer", "coop_village", "coop_cooperative",
                      "quality_reconciliationrun"):
            cur.execute(f"DELETE FROM {table}")
    from django.contrib.auth import get_user_model

    get_user_model().objects.all().delete()
    big = province.run(6, today)
    assert big["generated"]["coop.Cooperative"] == 6
    assert all(not m for m in big["mismatches"].values()), {k: v[:2] for k, v in big["mismatches"].items() if v}
    two, six = _counts(small), _counts(big)
    grew = {what: (two[what], six[what]) for what in two if two[what] != six[what]}
    assert set(grew) <= PER_DOCUMENT, grew
