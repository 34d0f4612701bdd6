"""The charter's rules: escalation by offence number, the version in force, attribution."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import Notification
from quality.models import BadEggReport, CharterError, Penalty
from quality.services import penalties as penalty_service
from quality.services.charter import charter_in_force, largest_remainder
from quality.services.reports import preview_penalties
from tests.conftest import requires_postgres
from tests.factories import close_window, confirm, make_batch, make_charter, make_delivery, make_farmer, report_on
from tests.trust.parallel import errors, run_parallel


def test_it_escalates_warning_fine_double_fine_and_notice_then_suspension(personas, charter, farmer_a_batch):
    sanctions = []
    for _n in range(4):
        report = report_on(farmer_a_batch, eggs=3)
        (penalty,) = confirm(report, personas.manager_a)
        sanctions.append((penalty.offence_number, penalty.clause.number, penalty.amount, penalty.warning,
                          penalty.public_notice, penalty.suspension_days))
    assert sanctions == [
        (1, "第五条", Decimal("0.00"), True, False, 0),
        (2, "第六条", Decimal("6.00"), False, False, 0),
        (3, "第七条", Decimal("12.00"), False, True, 0),
        (4, "第八条", Decimal("12.00"), False, True, 15),
    ]


def test_it_does_not_count_a_waived_offence(personas, charter, farmer_a_batch):
    first = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    penalty_service.transition(first, Penalty.APPEALED)
    penalty_service.waive_penalty(first, user=personas.committee_a, reason="证据不足")
    second = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    assert second.offence_number == 1 and second.warning


def test_a_waiver_renumbers_the_later_penalties_not_yet_applied(personas, charter, farmer_a_batch):
    """Issue 14.10: the first offence waived, the next one is the household's first, with its sanction."""
    first = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    second = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    assert (second.offence_number, second.amount) == (2, Decimal("6.00"))
    penalty_service.transition(first, Penalty.APPEALED)
    penalty_service.waive_penalty(first, user=personas.committee_a, reason="证据不足")
    second.refresh_from_db()
    assert (second.offence_number, second.clause.number, second.amount, second.warning) == (
        1, "第五条", Decimal("0.00"), True)
    told = Notification.objects.get(dedupe_key=f"penalty:{second.pk}:renumbered:1")
    assert "第 1 次违约" in told.body
    third = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    assert third.offence_number == 2  # the waived one still does not count


def test_a_reversal_renumbers_open_penalties_but_not_applied_ones(personas, charter, farmer_a_batch):
    first = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    close_window(first)
    assert penalty_service.apply_penalty(first)
    second = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    close_window(second)
    assert penalty_service.apply_penalty(second)  # applied as the 2nd offence: ¥6.00 posted
    third = confirm(report_on(farmer_a_batch, eggs=3), personas.manager_a)[0]
    assert third.offence_number == 3
    penalty_service.reverse_penalty(first, user=personas.committee_a, reason="批次记录有误")
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.offence_number, second.amount) == (2, Decimal("6.00"))  # its money moved: left as applied
    assert (third.offence_number, third.clause.number) == (2, "第六条")


def test_it_forgets_offences_older_than_the_lookback(personas, farmer_a_batch):
    make_charter(personas.coop_a, lookback_days=30)
    old = report_on(farmer_a_batch)
    BadEggReport.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    old.refresh_from_db()
    confirm(old, personas.manager_a)
    fresh = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    assert fresh.offence_number == 1


def test_it_applies_the_version_in_force_on_the_report_date_never_a_later_one(personas, farmer_a_batch):
    today = timezone.localdate()
    v1 = make_charter(personas.coop_a, version=1, effective_from=today - datetime.timedelta(days=60),
                      fine_per_egg="1.00")
    v2 = make_charter(personas.coop_a, version=2, effective_from=today - datetime.timedelta(days=5),
                      fine_per_egg="5.00")
    v3 = make_charter(personas.coop_a, version=3, effective_from=today + datetime.timedelta(days=10))
    assert charter_in_force(personas.coop_a, today - datetime.timedelta(days=10)) == v1
    assert charter_in_force(personas.coop_a, today) == v2
    assert charter_in_force(personas.coop_a, today + datetime.timedelta(days=10)) == v3
    assert charter_in_force(personas.coop_a, today - datetime.timedelta(days=61)) is None

    report = report_on(farmer_a_batch)
    BadEggReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    report.refresh_from_db()
    (penalty,) = confirm(report, personas.manager_a)  # confirmed today, while v2 is in force
    assert penalty.charter == v1


def test_it_refuses_to_sanction_without_a_charter_in_force(personas, farmer_a_batch):
    with pytest.raises(CharterError):
        confirm(report_on(farmer_a_batch), personas.manager_a)
    assert Penalty.objects.count() == 0
    assert BadEggReport.objects.get().status == BadEggReport.RECEIVED


@pytest.mark.parametrize("total,weights", [
    (2, {"a": 20, "b": 10}), (7, {"a": 1, "b": 1, "c": 1}), (10, {"a": 13, "b": 7, "c": 5, "d": 5}),
    (1, {"a": 1, "b": 1}), (29, {"a": 3, "b": 997}), (0, {"a": 5}),
])
def test_it_splits_bad_eggs_so_the_parts_add_up_exactly(total, weights):
    parts = largest_remainder(total, weights)
    assert sum(parts.values()) == total
    for key, w in weights.items():  # every part is within one egg of its exact share
        exact = Decimal(total * w) / sum(weights.values())
        assert abs(parts[key] - exact) < 1


def test_it_shares_a_report_in_proportion_to_each_households_eggs(personas, charter, two_household_batch):
    report = report_on(two_household_batch, eggs=5)
    _charter, rows = preview_penalties(report)
    shares = {r["farmer"].head_name: r["eggs"] for r in rows}
    assert shares == {"吉克拉哈": 3, "阿苏木呷": 2}
    penalties = confirm(report, personas.manager_a)
    assert sum(p.eggs for p in penalties) == 5


def test_a_stamped_code_names_one_household(personas, charter, two_household_batch):
    two_household_batch.other_farmer.stamp_code = "EJ07"
    two_household_batch.other_farmer.save()
    penalties = confirm(report_on(two_household_batch, eggs=4, stamp_code="ej07"), personas.manager_a)
    assert [(p.farmer.head_name, p.eggs) for p in penalties] == [("阿苏木呷", 4)]


def test_a_manager_may_name_the_households_after_investigating(personas, farmer_a_batch):
    make_charter(personas.coop_a, attribution_rule="manager")
    report = report_on(farmer_a_batch, eggs=3)
    with pytest.raises(CharterError):
        confirm(report, personas.manager_a)
    other = make_farmer(personas.coop_a)
    with pytest.raises(CharterError):  # shares must add up to the bad eggs
        confirm(report, personas.manager_a, households={personas.farmer_a: 1, other: 1})
    penalties = confirm(report, personas.manager_a, households={personas.farmer_a: 1, other: 2})
    assert sorted(p.eggs for p in penalties) == [1, 2]


def test_a_manager_cannot_name_another_cooperatives_household(personas, charter, farmer_a_batch):
    with pytest.raises(CharterError):
        confirm(report_on(farmer_a_batch, eggs=1), personas.manager_a, households={personas.farmer_b: 1})


def test_a_household_with_eggs_in_several_deliveries_gets_one_penalty(personas, charter):
    d1 = make_delivery(personas.farmer_a, accepted={"L": 15})
    d2 = make_delivery(personas.farmer_a, accepted={"L": 15})
    batch = make_batch(personas.coop_a, deliveries=[d1, d2], pack_size=10, boxes=3)
    penalties = confirm(report_on(batch, eggs=2), personas.manager_a)
    assert [(p.farmer, p.eggs) for p in penalties] == [(personas.farmer_a, 2)]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_confirmed_at_once_count_as_two_offences(personas, charter, farmer_a_batch):
    reports = [report_on(farmer_a_batch), report_on(farmer_a_batch, defect="cracked")]
    results = run_parallel([lambda r=r: confirm(r, personas.manager_a) for r in reports])
    assert not errors(results), errors(results)
    assert sorted(Penalty.objects.values_list("offence_number", flat=True)) == [1, 2]


def test_a_stamped_household_answers_for_no_more_eggs_than_it_put_in(personas, charter, two_household_batch):
    other = two_household_batch.other_farmer  # 10 eggs in the batch; farmer_a has 20
    other.stamp_code = "EJ07"
    other.save()
    penalties = confirm(report_on(two_household_batch, eggs=15, stamp_code="EJ07"), personas.manager_a)
    assert sorted((p.farmer.head_name, p.eggs) for p in penalties) == [("吉克拉哈", 5), ("阿苏木呷", 10)]


def test_it_asks_the_manager_for_the_rest_when_the_charter_says_so(personas, two_household_batch):
    make_charter(personas.coop_a, attribution_rule="manager")
    other = two_household_batch.other_farmer
    other.stamp_code = "EJ07"
    other.save()
    report = report_on(two_household_batch, eggs=15, stamp_code="EJ07")
    with pytest.raises(CharterError) as err:
        confirm(report, personas.manager_a)
    assert "只有 10 枚" in str(err.value) and "其余 5 枚" in str(err.value)
    report.refresh_from_db()
    assert report.status != BadEggReport.CONFIRMED and not Penalty.objects.exists()
    penalties = confirm(report, personas.manager_a, households={other: 10, personas.farmer_a: 5})
    assert sorted(p.eggs for p in penalties) == [5, 10]


def test_a_stamp_of_a_household_not_in_the_batch_is_refused(personas, charter, farmer_a_batch):
    stranger = make_farmer(personas.coop_a, stamp_code="EJ99")
    report = report_on(farmer_a_batch, eggs=2, stamp_code="EJ99")
    with pytest.raises(CharterError) as err:
        confirm(report, personas.manager_a)
    assert stranger.head_name in str(err.value) and "没有鸡蛋装进这个批次" in str(err.value)
    assert not Penalty.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_waiver_and_a_new_offence_at_once_are_counted_right(personas, charter, farmer_a_batch):
    """The waiver's renumbering and a report confirmed at the same moment take the household's offence
    lock in turn: whichever goes first, the new penalty ends up the 2nd offence, not a stale 3rd."""
    first = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    confirm(report_on(farmer_a_batch), personas.manager_a)
    penalty_service.transition(first, Penalty.APPEALED)
    third_report = report_on(farmer_a_batch, defect="cracked")
    results = run_parallel([
        lambda: penalty_service.waive_penalty(Penalty.objects.get(pk=first.pk), user=personas.committee_a,
                                              reason="证据不足"),
        lambda: confirm(third_report, personas.manager_a)])
    assert not errors(results), errors(results)
    numbers = sorted(Penalty.objects.exclude(pk=first.pk).values_list("offence_number", flat=True))
    assert numbers == [1, 2]


def test_a_charter_with_two_clauses_for_the_same_step_is_refused_not_a_server_error(personas, api_for):
    """Found by the API fuzz: two clauses for the same defect and offence number answered 500 (the unique
    constraint); now a 400 naming the clause, and no charter saved."""
    from quality.models import Charter

    clause = {"number": "第五条", "defect": "any", "from_offence": 1, "text": "初次交坏蛋的，警告。", "warning": True}
    body = {"cooperative": personas.coop_a.pk, "text": "第一条 交蛋须新鲜干净", "adopted_on": "2026-11-01",
            "effective_from": "2026-12-01", "assembly_attendance": 20, "votes_for": 18, "votes_against": 1,
            "votes_abstain": 1, "appeal_window_days": 7, "notice_days": 30, "clauses": [clause, dict(clause)]}
    before = Charter.objects.count()
    r = api_for(personas.manager_a).post("/api/charters/", body, format="json")
    assert r.status_code == 400, r.content
    assert "只能有一条条款" in r.content.decode()
    assert Charter.objects.count() == before
