"""The public scan page: what a customer with a box of eggs sees."""

import datetime

import pytest
from django.utils import timezone

from coop.models import Batch
from quality.models import Scan, TraceCode
from quality.services.recall import RecallError, recall_batch
from quality.services.scans import flush_scans
from tests.factories import make_batch, make_delivery, make_farmer, make_village

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(personas):
    coop = personas.coop_a
    coop.phone = "0834-1234567"
    coop.save()
    farmer = make_farmer(coop, personas.village_a, head_name="吉克阿牛")
    other = make_farmer(coop, make_village(coop, name="桌古村", altitude_m=2480), head_name="沙马日古")
    deliveries = [make_delivery(farmer, accepted={"L": 20}, rejected={"cracked": 2, "rotten": 1}),
                  make_delivery(other, accepted={"L": 20}, rejected={"dirty": 1})]
    return make_batch(coop, deliveries=deliveries, pack_size=10, boxes=4, code="HBLA-20261127-01")


def test_it_gives_every_new_batch_an_unguessable_trace_code(batch):
    code = batch.trace.code
    assert len(code) == 10
    assert not set(code) & set("01OIL")
    assert TraceCode.objects.exclude(pk=batch.trace.pk).filter(code=code).count() == 0


def test_it_shows_batch_village_altitude_and_best_before_in_chinese(batch, client):
    r = client.get(f"/t/{batch.trace.code}")
    html = r.content.decode()
    assert r.status_code == 200
    assert "HBLA-20261127-01" in html
    assert "尔吉村" in html and "海拔 2350 米" in html and "桌古村" in html
    assert f"{batch.best_before.year}年{batch.best_before.month}月{batch.best_before.day}日" in html
    assert "2 户农户的鸡蛋" in html
    assert "收蛋验收时剔除了 9.1%（44 枚中 4 枚）" in html
    assert f'href="/t/{batch.trace.code}/report/"' in html
    assert 'href="/shop/"' in html


def test_it_switches_to_english_without_javascript(batch, client):
    r = client.get(f"/t/{batch.trace.code}?lang=en")
    html = r.content.decode()
    assert 'lang="en"' in html and "Best before" in html
    assert r.cookies["django_language"].value == "en"
    # the choice sticks for the next scan
    assert "Best before" in client.get(f"/t/{batch.trace.code}").content.decode()


def test_it_accepts_a_typed_code_in_lower_case(batch, client):
    assert client.get(f"/t/{batch.trace.code.lower()}").status_code == 200


def test_it_answers_an_unknown_code_with_a_friendly_404_and_a_lookup_box(client):
    r = client.get("/t/ABCDEFGHJK")
    assert r.status_code == 404
    html = r.content.decode()
    assert "找不到这个溯源码" in html and 'action="/lookup/"' in html


@pytest.mark.parametrize("code", ["0OIL1", "x" * 41, "ABC%20DEF", "K7QX9M"])
def test_it_answers_malformed_codes_with_404_not_an_error(client, code):
    assert client.get(f"/t/{code}").status_code == 404


def test_it_answers_head_without_counting_a_scan(batch, client):
    r = client.head(f"/t/{batch.trace.code}")
    assert r.status_code == 200
    flush_scans()
    assert Scan.objects.count() == 0


def test_it_hides_household_names_unless_the_cooperative_publishes_them(batch, client):
    html = client.get(f"/t/{batch.trace.code}").content.decode()
    assert "吉克阿牛" not in html and "沙马日古" not in html
    for farmer_field in ("phone", "member_no"):
        for d in batch.deliveries.all():
            assert getattr(d.farmer, farmer_field) not in html
    batch.cooperative.publish_farmer_names = True
    batch.cooperative.save()
    from django.core.cache import cache

    cache.clear()
    html = client.get(f"/t/{batch.trace.code}").content.decode()
    assert "吉克阿牛" in html and "沙马日古" in html
    assert batch.deliveries.first().farmer.phone not in html


def test_it_warns_clearly_once_best_before_is_past(personas, client):
    old = make_batch(personas.coop_a, laid_on=timezone.localdate() - datetime.timedelta(days=40))
    html = client.get(f"/t/{old.trace.code}").content.decode()
    assert "已过保质期" in html and "请勿食用" in html


def test_a_recall_shows_a_red_notice_with_the_reason_at_once(batch, client, personas):
    url = f"/t/{batch.trace.code}"
    assert "已召回" not in client.get(url).content.decode()  # cached now
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    html = client.get(url).content.decode()
    assert "此批次已召回，请勿食用" in html and "检出沙门氏菌" in html and 'class="alert recall"' in html
    batch.refresh_from_db()
    assert batch.status == Batch.RECALLED


def test_a_recall_needs_a_reason_and_happens_once(batch, personas):
    with pytest.raises(RecallError):
        recall_batch(batch, reason="  ", user=personas.manager_a)
    recall_batch(batch, reason="破损", user=personas.manager_a)
    with pytest.raises(RecallError):
        recall_batch(batch, reason="again", user=personas.manager_a)


def test_the_scan_page_stays_under_30_kb_with_its_stylesheet(batch, client):
    from django.contrib.staticfiles import finders

    html = client.get(f"/t/{batch.trace.code}").content
    css = open(finders.find("css/scan.css"), "rb").read()
    assert len(html) + len(css) < 30 * 1024
    assert b"<script" not in html and b'style="' not in html


def test_it_serves_a_cached_scan_with_no_sql(batch, client, django_assert_max_num_queries):
    url = f"/t/{batch.trace.code}"
    client.get(url)
    from django.conf import settings

    # Without Redis the fallback writes the scan itself (one INSERT); with Redis nothing at all.
    with django_assert_max_num_queries(0 if settings.REDIS_URL else 1):
        assert client.get(url).status_code == 200
