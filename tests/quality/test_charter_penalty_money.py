"""Only an applied fine reaches the ledger, exactly once; waived never; a reversal restores it."""

from decimal import Decimal

import pytest

from coop.models import LedgerEntry, Notification
from coop.services.ledger import balance, post_entry
from quality.models import Appeal, CharterError, Penalty
from quality.services import appeals, penalties
from tests.conftest import requires_postgres
from tests.factories import close_window, confirm, report_on
from tests.trust.parallel import run_parallel


@pytest.fixture
def fined(personas, charter, farmer_a_batch):
    """farmer_a's second offence: 2 rotten eggs × ¥2 = ¥4, notified, window open."""
    post_entry(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY, amount=Decimal("45.00"), reason="交蛋")
    confirm(report_on(farmer_a_batch), personas.manager_a)  # first offence: warning
    (penalty,) = confirm(report_on(farmer_a_batch), personas.manager_a)
    assert penalty.amount == Decimal("4.00") and penalty.status == Penalty.NOTIFIED
    return penalty


def fines_of(farmer):
    return list(LedgerEntry.objects.filter(farmer=farmer, kind=LedgerEntry.FINE).values_list("amount", flat=True))


def test_nothing_posts_while_the_appeal_window_is_open(personas, fined):
    assert penalties.apply_due_penalties() == 0
    with pytest.raises(CharterError):
        penalties.apply_penalty(fined, user=personas.manager_a)
    assert fines_of(personas.farmer_a) == []
    assert Penalty.objects.get(pk=fined.pk).status == Penalty.NOTIFIED


def test_the_fine_posts_once_after_the_window_however_often_it_is_applied(personas, fined):
    close_window(fined)
    assert penalties.apply_due_penalties() == 1
    assert penalties.apply_due_penalties() == 0
    assert penalties.apply_penalty(Penalty.objects.get(pk=fined.pk)) is False
    assert fines_of(personas.farmer_a) == [Decimal("-4.00")]
    assert balance(personas.farmer_a) == Decimal("41.00")
    entry = LedgerEntry.objects.get(kind=LedgerEntry.FINE)
    assert entry.dedupe_key == f"penalty:{fined.pk}:apply"
    assert Notification.objects.filter(farmer=personas.farmer_a, event="penalty.applied").count() == 1


def test_a_waived_penalty_never_reaches_the_ledger(personas, fined):
    appeal = appeals.file_appeal(fined, user=personas.farmer_a.user, grounds="那天我家的蛋都是新鲜的")
    close_window(fined)
    appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.WAIVED, reason="无法确定是哪户",
                          members_present="吉克、阿苏、沙马")
    assert penalties.apply_due_penalties() == 0
    assert fines_of(personas.farmer_a) == []
    assert balance(personas.farmer_a) == Decimal("45.00")
    assert Penalty.objects.get(pk=fined.pk).status == Penalty.WAIVED


def test_an_upheld_appeal_posts_the_fine_once(personas, fined):
    appeal = appeals.file_appeal(fined, user=personas.farmer_a.user, grounds="不服")
    appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.UPHELD, reason="证据确凿",
                          members_present="吉克、阿苏")
    close_window(fined)
    penalties.apply_due_penalties()
    assert fines_of(personas.farmer_a) == [Decimal("-4.00")]


def test_a_reduced_fine_posts_the_reduced_amount(personas, fined):
    appeal = appeals.file_appeal(fined, user=personas.farmer_a.user, grounds="只有一枚是坏的")
    with pytest.raises(CharterError):  # a "reduction" must reduce
        appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.REDUCED, reason="x",
                              members_present="吉克", amount="5.00")
    appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.REDUCED, reason="一枚属实",
                          members_present="吉克、阿苏", amount="2.00")
    assert fines_of(personas.farmer_a) == [Decimal("-2.00")]
    penalty = Penalty.objects.get(pk=fined.pk)
    assert (penalty.proposed_amount, penalty.amount, penalty.status) == (Decimal("4.00"), Decimal("2.00"),
                                                                         Penalty.APPLIED)


def test_a_reversal_after_application_restores_the_balance(personas, fined):
    close_window(fined)
    penalties.apply_due_penalties()
    assert balance(personas.farmer_a) == Decimal("41.00")
    with pytest.raises(CharterError):
        penalties.reverse_penalty(Penalty.objects.get(pk=fined.pk), user=personas.manager_a, reason="")
    penalties.reverse_penalty(Penalty.objects.get(pk=fined.pk), user=personas.manager_a, reason="查明是运输损坏")
    assert balance(personas.farmer_a) == Decimal("45.00")
    adj = LedgerEntry.objects.get(kind=LedgerEntry.ADJUSTMENT)
    assert adj.amount == Decimal("4.00") and adj.dedupe_key == f"penalty:{fined.pk}:reverse"
    with pytest.raises(CharterError):  # a second reversal changes nothing
        penalties.reverse_penalty(Penalty.objects.get(pk=fined.pk), user=personas.manager_a, reason="again")
    assert balance(personas.farmer_a) == Decimal("45.00")


def test_the_periodic_task_applies_due_penalties(personas, fined):
    from quality.tasks import apply_due_penalties

    close_window(fined)
    assert apply_due_penalties.delay().get() == 1
    assert fines_of(personas.farmer_a) == [Decimal("-4.00")]


def test_the_beat_schedule_runs_the_sweep():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "quality.tasks.apply_due_penalties" in tasks


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_applying_at_once_post_the_fine_once(personas, charter, farmer_a_batch):
    confirm(report_on(farmer_a_batch), personas.manager_a)
    (penalty,) = confirm(report_on(farmer_a_batch), personas.manager_a)
    close_window(penalty)
    results = run_parallel([lambda: penalties.apply_penalty(Penalty.objects.get(pk=penalty.pk)) for _i in range(4)])
    assert sorted(results) == [False, False, False, True]
    assert fines_of(personas.farmer_a) == [Decimal("-4.00")]
