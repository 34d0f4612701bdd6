"""The farmer's pages for a household that reads little: a badge when a penalty waits, the share of the
bad eggs explained, an appeal made by tapping (or by asking to be called), the charter in its order."""

from types import SimpleNamespace

import pytest

from quality.models import Appeal, Penalty
from quality.services.charter import clause_order
from tests.factories import confirm, make_batch, make_delivery, make_farmer, report_on
from tests.quality.test_farmer_penalties import a_fine, fining_charter, household  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_waiting_penalty_shows_a_badge_and_a_card_on_the_home_page(personas, household):  # noqa: F811
    home = household.get("/farmer/").content.decode()
    assert 'id="fines-badge"' not in home and 'id="fines-waiting"' not in home
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    home = household.get("/farmer/").content.decode()
    assert 'id="fines-badge"' in home and 'id="fines-waiting"' in home and "处罚等您看" in home
    # Another household's penalty is not this one's badge.
    other = make_farmer(personas.coop_a, personas.village_a, head_name="阿苏木呷")
    a_fine(other, personas.manager_a)
    assert household.get("/farmer/").content.decode().count('id="fines-badge" aria-label="1 ') == 1
    Penalty.objects.filter(pk=penalty.pk).update(status=Penalty.WAIVED)
    assert 'id="fines-badge"' not in household.get("/farmer/").content.decode()


def test_the_penalty_page_explains_the_households_share_of_the_bad_eggs(personas, household):  # noqa: F811
    fining_charter(personas.coop_a)
    other = make_farmer(personas.coop_a, personas.village_a, head_name="阿苏木呷")
    batch = make_batch(personas.coop_a, boxes=6, deliveries=[
        make_delivery(personas.farmer_a, accepted={"L": 12}), make_delivery(other, accepted={"L": 48})])
    penalties = confirm(report_on(batch, eggs=10), personas.manager_a)
    mine = next(p for p in penalties if p.farmer_id == personas.farmer_a.pk)
    assert mine.eggs == 2
    page = household.get(f"/farmer/penalties/{mine.pk}/").content.decode()
    assert "这批蛋共 60 枚，您家交了 12 枚，占 20%。坏蛋共 10 枚，按各家交的蛋分，算您家 2 枚。" in page


def test_an_appeal_is_made_by_tapping_a_reason_or_asking_to_be_called(personas, household):  # noqa: F811
    fining_charter(personas.coop_a)
    first = a_fine(personas.farmer_a, personas.manager_a)
    page = household.get(f"/farmer/penalties/{first.pk}/").content.decode()
    assert 'name="reason" value="fresh"' in page and 'name="wants_call"' in page and "required" not in page
    household.post(f"/farmer/penalties/{first.pk}/appeal/", {"reason": "fresh", "grounds": ""})
    appeal = Appeal.objects.get(penalty=first)
    assert appeal.grounds == "我家的蛋是新鲜的，坏蛋不是我家的" and appeal.wants_call is False

    second = a_fine(personas.farmer_a, personas.manager_a)
    household.post(f"/farmer/penalties/{second.pk}/appeal/", {"wants_call": "1"})
    appeal = Appeal.objects.get(penalty=second)
    assert appeal.wants_call is True and "请议事会打电话给我" in appeal.grounds


def test_an_unknown_reason_is_refused_and_files_nothing(personas, household):  # noqa: F811
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    body = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {"reason": "<script>"},
                          follow=True).content.decode()
    assert "请从列表里选一个理由" in body and not Appeal.objects.filter(penalty=penalty).exists()
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.NOTIFIED


def test_the_charter_lists_its_clauses_in_their_order(personas, household):  # noqa: F811
    fining_charter(personas.coop_a)  # 第五条 … 第八条: as text, 七 sorts before 五 (the page read 7, 5, 8, 6)
    page = household.get("/farmer/charter/").content.decode()
    at = [page.index(f"<b>{n}</b>") for n in ("第五条", "第六条", "第七条", "第八条")]
    assert at == sorted(at)


@pytest.mark.parametrize("numbers", [["第九条", "第十条", "第十二条", "第二十条"], ["5", "5.1", "5.2", "12"]])
def test_clause_numbers_sort_as_numbers(numbers):
    clauses = [SimpleNamespace(number=n, from_offence=1) for n in reversed(numbers)]
    assert [c.number for c in sorted(clauses, key=clause_order)] == numbers
