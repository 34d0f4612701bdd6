"""A household sees its fines with the clause, the evidence and the days left, and appeals from its phone."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from quality.models import Appeal, BadEggReport, Clause, Penalty
from tests.factories import (
    close_window,
    confirm,
    give_pin,
    make_batch,
    make_charter,
    make_delivery,
    photo_upload,
    report_on,
    sign_in,
)


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def fining_charter(coop):
    charter = make_charter(coop)
    Clause.objects.filter(charter=charter, from_offence=1).update(
        warning=False, fine_per_egg=Decimal("2.00"), text="交臭蛋的，每枚罚款2元。")
    return charter


def a_fine(farmer, manager, eggs=3):
    batch = make_batch(farmer.cooperative, deliveries=[make_delivery(farmer, accepted={"L": 30})], boxes=3)
    report = report_on(batch, eggs=eggs, defect="rotten", photos=[photo_upload()])
    return confirm(report, manager)[0]


@pytest.fixture
def household(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    return c


def test_it_shows_the_fine_with_clause_photo_and_days_left(personas, household):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    assert penalty.status == Penalty.NOTIFIED and penalty.amount == Decimal("6.00")
    listing = household.get("/farmer/penalties/").content.decode()
    assert "¥6.00" in listing and "还能申诉 7 天" in listing
    page = household.get(f"/farmer/penalties/{penalty.pk}/").content.decode()
    assert "交臭蛋的，每枚罚款2元。" in page and "<img" in page and "提交申诉" in page


def test_the_household_appeals_and_the_page_says_nothing_is_taken_meanwhile(personas, household):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    r = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {"grounds": "那天的蛋是路上碰坏的"}, follow=True)
    body = r.content.decode()
    assert "申诉已提交" in body and "那天的蛋是路上碰坏的" in body
    appeal = Appeal.objects.get(penalty=penalty)
    assert appeal.filed_by == personas.farmer_a.user and appeal.on_behalf is False
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.APPEALED


def test_an_empty_appeal_or_a_closed_window_is_told_and_changes_nothing(personas, household):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    body = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {"grounds": " "}, follow=True).content.decode()
    assert "请选一个理由、录一段话，或者请议事会打电话给您" in body  # nothing tapped, nothing written
    close_window(penalty)
    body = household.post(f"/farmer/penalties/{penalty.pk}/appeal/", {"grounds": "晚了"}, follow=True).content.decode()
    assert "申诉期已过" in body and "提交申诉" not in body
    assert not Appeal.objects.exists()


def test_another_households_penalty_is_not_found(personas, household):
    fining_charter(personas.coop_a)
    fining_charter(personas.coop_b)
    theirs = a_fine(personas.farmer_b, personas.manager_b)
    assert household.get(f"/farmer/penalties/{theirs.pk}/").status_code == 404
    assert household.post(f"/farmer/penalties/{theirs.pk}/appeal/", {"grounds": "x"}).status_code == 404
    assert not Appeal.objects.exists()
    assert "¥" not in household.get("/farmer/penalties/").content.decode()


def test_the_charter_page_shows_the_rules_in_force(personas, household):
    fining_charter(personas.coop_a)
    body = household.get("/farmer/charter/").content.decode()
    assert "交臭蛋的" not in body  # clause texts are on the penalty; the charter page lists sanctions
    assert "每枚坏蛋罚 ¥2.00" in body and "第一条 交蛋须新鲜干净" in body and "7 天内申诉" in body


def test_a_penalty_has_one_date_in_the_list_and_on_its_page(personas, household):
    """Issue 14.13: reported 30 November, confirmed 2 December — both pages say the report's day."""
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    reported = timezone.now() - datetime.timedelta(days=2)
    BadEggReport.objects.filter(pk=penalty.report_id).update(created_at=reported)
    day = timezone.localdate(reported)
    shown = f"{day.year}年{day.month}月{day.day}日"
    today = timezone.localdate()
    listing = household.get("/farmer/penalties/").content.decode()
    page = household.get(f"/farmer/penalties/{penalty.pk}/").content.decode()
    assert shown in listing and shown in page
    assert f"{today.year}年{today.month}月{today.day}日 ·" not in listing
