"""防返贫监测: a household whose income from the collective fell sharply is flagged for a visit."""

import datetime
from decimal import Decimal

from coop.models import LedgerEntry
from coop.services.ledger import post_entry
from orders.models.programmes import MonitoringPolicy
from orders.services import monitoring
from tests.factories import make_farmer

MONTH = datetime.date(2026, 10, 1)


def credit(farmer, day, amount, kind=LedgerEntry.DELIVERY):
    post_entry(farmer=farmer, kind=kind, amount=Decimal(amount), reason="测试", occurred_on=day,
               dedupe_key=f"t:{farmer.pk}:{day}:{kind}:{amount}")


def row_of(report, farmer):
    return next(r for r in report["rows"] if r["farmer"].pk == farmer.pk)


def test_a_constructed_income_drop_raises_the_flag(personas):
    steady = personas.farmer_a
    dropping = make_farmer(personas.coop_a, personas.village_a, head_name="沙马阿依")
    for m in (7, 8, 9):
        credit(steady, datetime.date(2026, m, 10), "300.00")
        credit(dropping, datetime.date(2026, m, 12), "300.00")
    credit(steady, datetime.date(2026, 10, 9), "280.00")
    credit(dropping, datetime.date(2026, 10, 9), "120.00")
    credit(dropping, datetime.date(2026, 10, 20), "-20.00", kind=LedgerEntry.FINE)  # fines lower income
    credit(dropping, datetime.date(2026, 11, 2), "900.00")  # next month: outside the report

    report = monitoring.township_report(personas.coop_a, MONTH)

    assert report["flagged"] == 1
    row = row_of(report, dropping)
    assert row["flagged"] and row["income"] == Decimal("100.00") and row["average"] == Decimal("300.00")
    assert "下降 66%" in row["reasons"][0]
    assert not row_of(report, steady)["flagged"]
    assert report["rows"][0]["farmer"].pk == dropping.pk  # whom to visit comes first


def test_the_cooperative_sets_its_own_thresholds(personas):
    farmer = personas.farmer_a
    for m in (7, 8, 9):
        credit(farmer, datetime.date(2026, m, 10), "200.00")
    credit(farmer, datetime.date(2026, 10, 10), "150.00")
    assert not monitoring.township_report(personas.coop_a, MONTH)["flagged"]  # a 25% dip is not "sharp"

    MonitoringPolicy.objects.create(cooperative=personas.coop_a, drop_percent=20, min_monthly_income=Decimal("0"))
    assert monitoring.township_report(personas.coop_a, MONTH)["flagged"] == 1

    MonitoringPolicy.objects.filter(cooperative=personas.coop_a).update(drop_percent=90,
                                                                        min_monthly_income=Decimal("180"))
    row = row_of(monitoring.township_report(personas.coop_a, MONTH), farmer)
    assert row["flagged"] and "低于月收入下限" in row["reasons"][0]


def test_payouts_are_not_income_and_other_cooperatives_are_not_listed(personas):
    farmer = personas.farmer_a
    for m in (7, 8, 9, 10):
        credit(farmer, datetime.date(2026, m, 10), "200.00")
    credit(farmer, datetime.date(2026, 10, 25), "-200.00", kind=LedgerEntry.PAYOUT)
    report = monitoring.township_report(personas.coop_a, MONTH)
    assert row_of(report, farmer)["income"] == Decimal("200.00") and not report["flagged"]
    assert all(r["farmer"].cooperative_id == personas.coop_a.pk for r in report["rows"])
