"""The village notice board (公示栏, 红黑榜)."""

import datetime

from django.utils import timezone

from quality.models import Penalty
from quality.services import penalties
from tests.factories import close_window, confirm, report_on


def applied_third_offence(personas, batch):
    for _n in range(2):
        confirm(report_on(batch), personas.manager_a)
    (third,) = confirm(report_on(batch), personas.manager_a)
    close_window(third)
    penalties.apply_due_penalties()
    return Penalty.objects.get(pk=third.pk)


def test_it_shows_noticed_sanctions_with_masked_names(personas, client_for, charter, farmer_a_batch):
    third = applied_third_offence(personas, farmer_a_batch)
    assert third.public_notice and third.status == Penalty.APPLIED
    page = client_for(None).get(f"/notice/{personas.village_a.pk}").content.decode()
    assert "吉克**" in page and "吉克拉哈" not in page
    assert "第七条" in page and "张榜公示" in page
    assert page.count("吉克**") == 1  # the warning and the first fine were not for public notice


def test_it_drops_a_sanction_after_the_notice_period(personas, client_for, charter, farmer_a_batch):
    third = applied_third_offence(personas, farmer_a_batch)
    Penalty.objects.filter(pk=third.pk).update(applied_at=timezone.now() - datetime.timedelta(days=31))
    page = client_for(None).get(f"/notice/{personas.village_a.pk}").content.decode()
    assert "吉克**" not in page and "公示期内没有需要公示的处罚" in page


def test_it_can_mask_to_the_member_number(personas, client_for, farmer_a_batch):
    from tests.factories import make_charter

    make_charter(personas.coop_a, name_mask="member_no")
    applied_third_offence(personas, farmer_a_batch)
    page = client_for(None).get(f"/notice/{personas.village_a.name}").content.decode()
    assert personas.farmer_a.member_no in page and "吉克" not in page


def test_it_praises_hygiene_winners_beside_the_sanctions(personas, client_for, charter):
    from coop import models as coop_models

    if not hasattr(coop_models, "HygieneScore"):
        page = client_for(None).get(f"/notice/{personas.village_a.pk}").content.decode()
        assert "卫生评比功能尚未启用" in page
        return
    inspection = coop_models.HygieneInspection.objects.create(
        cooperative=personas.coop_a, village=personas.village_a, inspected_on=timezone.localdate())
    coop_models.HygieneScore.objects.create(inspection=inspection, farmer=personas.farmer_a, score=96, award="50.00")
    page = client_for(None).get(f"/notice/{personas.village_a.pk}").content.decode()
    assert "红榜" in page and "吉克**" in page and "96" in page


def test_an_unknown_village_is_404(client_for, db):
    assert client_for(None).get("/notice/999999").status_code == 404
