import pytest

from coop import demo
from coop.models import Batch, BatchContribution, Delivery, Donation, LedgerEntry, Settlement
from coop.services import ledger

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_season_batches_a_paid_month_and_the_fund_and_runs_twice(seeded_demo):
    counts = (Delivery.objects.count(), Batch.objects.count(), Settlement.objects.count())
    assert counts[0] > 300 and counts[1] >= 10
    assert set(Settlement.objects.values_list("status", flat=True)) == {Settlement.PAID}
    assert Donation.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.REWARD).count() == 3
    for batch in Batch.objects.all():
        assert sum(c.eggs for c in BatchContribution.objects.filter(batch=batch)) == batch.eggs
    demo.seed()
    assert (Delivery.objects.count(), Batch.objects.count(), Settlement.objects.count()) == counts
    some = Settlement.objects.first().farmer
    assert ledger.balance(some) == sum(some.ledger_entries.values_list("amount", flat=True))
