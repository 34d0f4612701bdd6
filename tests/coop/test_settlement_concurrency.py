"""Two managers press "pay" on the same settlement at the same moment: it is paid exactly once."""

from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import LedgerEntry, Settlement
from coop.services.settlements import SettlementError, approve_settlement, month_bounds, pay_settlement, settle_period
from tests.conftest import requires_postgres
from tests.factories import deliver, set_prices
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_people_paying_together_pay_once(personas):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    approve_settlement(Settlement.objects.get())
    pages = [Settlement.objects.get() for _ in range(4)]  # each person has their own page open
    outcomes = run_parallel([lambda page=page, i=i: pay_settlement(page, reference=f"WX{i}")
                             for i, page in enumerate(pages)])
    outcomes = ["refused" if isinstance(o, SettlementError) else o if isinstance(o, Exception) else "paid"
                for o in outcomes]
    assert sorted(outcomes) == ["paid", "refused", "refused", "refused"]
    assert list(LedgerEntry.objects.filter(kind=LedgerEntry.PAYOUT).values_list("amount", flat=True)) == [
        Decimal("-30.00")]


def test_two_month_runs_at_once_settle_each_line_once(personas):
    set_prices(personas.coop_a)
    for _ in range(5):
        deliver(personas.farmer_a, accepted={"L": 2})
    start, end = month_bounds(timezone.localdate())
    results = run_parallel([lambda: settle_period(period_start=start, period_end=end,
                                                  cooperative_ids=[personas.coop_a.pk]) for _ in range(2)])
    assert not errors(results), errors(results)
    assert sum(r["lines_settled"] for r in results) == 5
    assert Settlement.objects.get().net == Decimal("15.00")
