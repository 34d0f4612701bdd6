"""A suspension sanction stops purchases from the household until its end date."""

import datetime

import pytest
from django.utils import timezone

from quality.models import Penalty
from quality.services import penalties
from tests.factories import close_window, confirm, report_on


@pytest.fixture
def suspended(personas, charter, farmer_a_batch):
    for _n in range(3):
        confirm(report_on(farmer_a_batch), personas.manager_a)
    (fourth,) = confirm(report_on(farmer_a_batch), personas.manager_a)
    assert fourth.suspension_days == 15
    close_window(fourth)
    penalties.apply_due_penalties()
    personas.farmer_a.refresh_from_db()
    return fourth


def test_it_suspends_the_household_for_the_clauses_days(personas, suspended):
    today = timezone.localdate()
    assert personas.farmer_a.suspended_until == today + datetime.timedelta(days=14)
    assert personas.farmer_a.is_suspended(today + datetime.timedelta(days=14))
    assert not personas.farmer_a.is_suspended(today + datetime.timedelta(days=15))
    assert "公约处罚" in personas.farmer_a.suspension_reason


def test_intake_refuses_a_suspended_household(personas, suspended):
    intake = pytest.importorskip("coop.services.intake", reason="the books' intake service is not in this tree")
    with pytest.raises(intake.DeliveryError, match="暂停收购"):
        intake.record_delivery(farmer=personas.farmer_a, laid_from=timezone.localdate(), accepted={"L": 10})


def test_reversal_lifts_the_suspension(personas, suspended):
    penalties.reverse_penalty(Penalty.objects.get(pk=suspended.pk), user=personas.manager_a, reason="误判")
    personas.farmer_a.refresh_from_db()
    assert personas.farmer_a.suspended_until is None
    assert not personas.farmer_a.is_suspended()
