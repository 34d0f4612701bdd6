import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coop.models import AuditEvent, LedgerEntry, Settlement, SettlementRun
from coop.services import ledger
from coop.services.settlements import (
    SettlementError,
    approve_settlement,
    month_bounds,
    pay_settlement,
    settle_period,
    start_settlement_run,
)
from tests.factories import deliver, make_farmer, make_village, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return month_bounds(timezone.localdate())


def fine(farmer, amount, key, clause="第三条 坏蛋每枚罚 ¥2"):
    return ledger.post_entry(farmer=farmer, kind=LedgerEntry.FINE, amount=-Decimal(amount),
                             reason=f"罚款：{clause}", dedupe_key=key)[0]


def test_a_settlement_itemises_every_unsettled_line_and_nets_them(personas, month):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})  # ¥30
    deliver(personas.farmer_a, accepted={"XL": 10}, rejected={"rotten": 4})  # ¥18, the rotten eggs unpaid
    fine(personas.farmer_a, "8.00", "penalty:1:apply")
    ledger.post_entry(farmer=personas.farmer_a, kind=LedgerEntry.REWARD, amount=Decimal("5"), reason="卫生先进户",
                      dedupe_key="hygiene:1")
    result = settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[personas.coop_a.pk])
    assert result == {"settlements_created": 1, "lines_settled": 4}
    s = Settlement.objects.get(farmer=personas.farmer_a)
    assert (s.gross, s.fines, s.rewards, s.adjustments, s.net) == (
        Decimal("48.00"), Decimal("-8.00"), Decimal("5.00"), Decimal("0.00"), Decimal("45.00"))
    assert s.lines.count() == 4 and s.status == Settlement.DRAFT
    assert "第三条" in s.lines.get(kind=LedgerEntry.FINE).reason


def test_settling_twice_settles_nothing_twice(personas, month):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[personas.coop_a.pk])
    again = settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[personas.coop_a.pk])
    assert again == {"settlements_created": 0, "lines_settled": 0}
    assert Settlement.objects.get().net == Decimal("30.00")


def test_a_late_line_joins_the_draft_but_never_an_approved_settlement(personas, month):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    settle_period(period_start=month[0], period_end=month[1])
    deliver(personas.farmer_a, accepted={"L": 10})
    settle_period(period_start=month[0], period_end=month[1])
    s = Settlement.objects.get()
    assert s.net == Decimal("45.00") and s.lines.count() == 2
    approve_settlement(s)
    deliver(personas.farmer_a, accepted={"L": 10})
    settle_period(period_start=month[0], period_end=month[1])
    s.refresh_from_db()
    assert s.net == Decimal("45.00")
    assert LedgerEntry.objects.filter(settlement__isnull=True).count() == 1  # waits for the next period


def test_settlement_runs_with_a_constant_number_of_queries(personas, month):
    set_prices(personas.coop_a)
    few = [make_farmer(personas.coop_a) for _ in range(2)]
    for f in few:
        deliver(f)
    with CaptureQueriesContext(connection) as small:
        settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[personas.coop_a.pk])
    many = [make_farmer(personas.coop_a) for _ in range(12)]
    for f in many:
        deliver(f)
        deliver(f, accepted={"M": 5})
    next_month = (month[1] + datetime.timedelta(days=1), month[1] + datetime.timedelta(days=31))
    with CaptureQueriesContext(connection) as large:
        settle_period(period_start=next_month[0], period_end=next_month[1], cooperative_ids=[personas.coop_a.pk])
    assert Settlement.objects.filter(period_start=next_month[0]).count() == 12
    assert len(large) == len(small)


def test_another_cooperatives_lines_are_not_settled(personas, month):
    set_prices(personas.coop_a)
    set_prices(personas.coop_b)
    deliver(personas.farmer_a)
    deliver(personas.farmer_b)
    settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[personas.coop_a.pk])
    assert list(Settlement.objects.values_list("farmer", flat=True)) == [personas.farmer_a.pk]
    assert LedgerEntry.objects.get(farmer=personas.farmer_b).settlement is None


def test_it_is_paid_once_and_the_balance_stays_the_sum_of_entries(personas, month):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    settle_period(period_start=month[0], period_end=month[1])
    s = Settlement.objects.get()
    with pytest.raises(SettlementError, match="不能改为"):
        pay_settlement(s, reference="WX123")  # a draft is approved before it is paid
    approve_settlement(s, user=personas.manager_a)
    with pytest.raises(SettlementError, match="凭证"):
        pay_settlement(s, reference="")
    pay_settlement(s, reference="WX123", user=personas.manager_a)
    with pytest.raises(SettlementError):
        pay_settlement(Settlement.objects.get(), reference="WX124")
    s.refresh_from_db()
    assert s.status == Settlement.PAID and s.payment_reference == "WX123" and s.paid_by == personas.manager_a
    payouts = LedgerEntry.objects.filter(kind=LedgerEntry.PAYOUT)
    assert [p.amount for p in payouts] == [Decimal("-30.00")] and payouts[0].settlement == s
    assert ledger.balance(personas.farmer_a) == Decimal("0.00")
    assert ledger.balance(personas.farmer_a) == sum(LedgerEntry.objects.values_list("amount", flat=True))
    actions = list(AuditEvent.objects.filter(object_type="coop.settlement").values_list("action", flat=True))
    assert sorted(actions) == ["settlement.approved", "settlement.paid"]


def test_a_negative_net_is_carried_into_the_next_period(personas, month):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 2})  # ¥3
    fine(personas.farmer_a, "10.00", "penalty:9:apply")
    settle_period(period_start=month[0], period_end=month[1])
    s = Settlement.objects.get()
    assert s.net == Decimal("-7.00")
    approve_settlement(s)
    pay_settlement(s, reference="无需付款")
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.PAYOUT).exists()
    carried = LedgerEntry.objects.get(settlement__isnull=True)
    assert carried.amount == Decimal("-7.00") and carried.occurred_on == month[1] + datetime.timedelta(days=1)
    assert ledger.balance(personas.farmer_a) == Decimal("-7.00")


def test_the_month_run_settles_every_village_and_reports_progress(personas, month, django_capture_on_commit_callbacks):
    set_prices(personas.coop_a)
    other_village_farmer = make_farmer(personas.coop_a, make_village(personas.coop_a))
    deliver(personas.farmer_a)
    deliver(other_village_farmer)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_settlement_run(cooperative=personas.coop_a, period_start=month[0], period_end=month[1],
                                   user=personas.manager_a)
    run.refresh_from_db()
    assert run.status == SettlementRun.DONE and run.percent == 100
    assert run.settlements_created == 2 and run.lines_settled == 2 and run.steps_total == 2
    with django_capture_on_commit_callbacks(execute=True):
        second = start_settlement_run(cooperative=personas.coop_a, period_start=month[0], period_end=month[1])
    second.refresh_from_db()
    assert second.status == SettlementRun.DONE and second.settlements_created == 0
    assert Settlement.objects.count() == 2
