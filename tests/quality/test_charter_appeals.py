"""The right of remedy: appeals within the window, heard by the committee, recorded."""

import pytest

from coop.models import AuditEvent, Notification
from quality.models import Appeal, CharterError, Penalty
from quality.services import appeals
from tests.factories import close_window, confirm, report_on


@pytest.fixture
def penalty(personas, charter, farmer_a_batch):
    return confirm(report_on(farmer_a_batch), personas.manager_a)[0]


def test_the_household_is_told_with_the_evidence_and_the_deadline(personas, penalty):
    note = Notification.objects.get(farmer=personas.farmer_a, event="penalty.notified")
    assert penalty.report.reference in note.body and "第五条" in note.body and "申诉" in note.body
    assert penalty.appeal_deadline is not None


def test_a_household_files_its_own_appeal_within_the_window(personas, penalty):
    appeal = appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="蛋是运输中碰坏的")
    assert appeal.on_behalf is False
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.APPEALED
    assert AuditEvent.objects.filter(action="appeal.filed").exists()


def test_a_manager_files_on_the_households_behalf(personas, penalty):
    appeal = appeals.file_appeal(penalty, user=personas.manager_a, grounds="户主不识字，口述申诉")
    assert appeal.on_behalf is True


def test_no_appeal_after_the_window_closes(personas, penalty):
    close_window(penalty)
    with pytest.raises(CharterError, match="申诉期已过"):
        appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="晚了")
    assert not Appeal.objects.exists()


def test_another_household_or_another_cooperative_cannot_appeal(personas, penalty):
    for user in (personas.farmer_b.user, personas.manager_b, personas.outsider, personas.inspector_a):
        with pytest.raises(CharterError):
            appeals.file_appeal(penalty, user=user, grounds="x")


def test_only_one_appeal_per_penalty_and_grounds_are_required(personas, penalty):
    with pytest.raises(CharterError):
        appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="  ")
    appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="第一次")
    with pytest.raises(CharterError):
        appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="第二次")


def test_only_the_committee_decides_with_members_present_and_reason(personas, penalty):
    appeal = appeals.file_appeal(penalty, user=personas.farmer_a.user, grounds="不服")
    with pytest.raises(CharterError):
        appeals.decide_appeal(appeal, user=personas.manager_a, decision=Appeal.WAIVED, reason="r",
                              members_present="m")
    with pytest.raises(CharterError):
        appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.WAIVED, reason="r",
                              members_present="")
    appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.WAIVED, reason="情有可原",
                          members_present="吉克、阿苏、沙马")
    appeal.refresh_from_db()
    assert (appeal.decision, appeal.members_present, appeal.decided_by) == (
        Appeal.WAIVED, "吉克、阿苏、沙马", personas.committee_a)
    assert Notification.objects.filter(farmer=personas.farmer_a, event="appeal.decided").exists()
    with pytest.raises(CharterError):
        appeals.decide_appeal(appeal, user=personas.committee_a, decision=Appeal.UPHELD, reason="r",
                              members_present="m")
    events = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"report.confirmed", "penalty.proposed", "penalty.notified", "penalty.appealed", "appeal.filed",
            "appeal.waived", "penalty.waived"} <= events
