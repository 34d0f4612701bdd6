"""A recalled batch prints no more labels, its certificate says it is void, its scan page sells
nothing — and a confirmed report shows on the (cached) scan page at once."""

import shutil
import subprocess

import pytest

from coop.models import Notification
from orders.models import Order, OrderError
from orders.services import payments
from orders.services.orders import mark_ready_for_pickup, mark_shipped, pack_order, pick_up
from quality.models import LabelSheet
from quality.services.labels import build_label_sheet, request_label_sheet
from quality.services.recall import recall_batch
from tests.factories import confirm, make_batch, make_charter, report_on
from tests.orders.test_stock_refunds import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(personas):
    return make_batch(personas.coop_a, code="HBLA-20261127-21", boxes=5)


def test_it_refuses_labels_of_a_recalled_batch_with_a_clear_message(batch, client_for, api_for, personas):
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    c = client_for(personas.manager_a)
    for url in (f"/trace/batches/{batch.pk}/labels.pdf", f"/trace/batches/{batch.pk}/labels.pdf?boxes=1",
                f"/trace/batches/{batch.pk}/label.png"):
        r = c.get(url)
        assert r.status_code == 409, url
        assert "已召回" in r.content.decode() and "不能再打印标签" in r.content.decode()
    r = api_for(personas.manager_a).post(f"/api/trace/batches/{batch.pk}/label-sheets/", {"copies": 5},
                                         format="json")
    assert r.status_code == 409 and "已召回" in r.json()["error"]["message"]
    assert not LabelSheet.objects.exists()


def test_a_sheet_queued_before_the_recall_is_not_made(batch, personas):
    sheet = request_label_sheet(batch, copies=5, serialised=False, user=personas.manager_a)
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    assert build_label_sheet(sheet.pk) is False
    sheet.refresh_from_db()
    assert sheet.status == LabelSheet.FAILED and "已召回" in sheet.error and not sheet.file


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_certificate_of_a_recalled_batch_says_it_is_void(batch, client, personas):
    url = f"/t/{batch.trace.code}/certificate.pdf"

    def text():
        r = client.get(url)
        assert r.status_code == 200
        return subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True).stdout.decode()

    assert "作废" not in text()
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    printed = text()
    assert "已召回" in printed and "本合格证作废" in printed and "检出沙门氏菌" in printed


def test_the_scan_page_of_a_recalled_batch_offers_no_more_boxes(batch, client, personas):
    url = f"/t/{batch.trace.code}"
    assert "再买一盒" in client.get(url).content.decode()
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    html = client.get(url).content.decode()
    assert "再买一盒" not in html and "合格证已作废" in html
    assert "报告坏蛋" in html  # people who ate them can still tell us


def test_confirming_a_report_refreshes_the_cached_scan_page(batch, client, personas,
                                                           django_capture_on_commit_callbacks):
    make_charter(personas.coop_a)
    url = f"/t/{batch.trace.code}"
    assert "已确认的坏蛋投诉：暂无。" in client.get(url).content.decode()  # now cached
    report = report_on(batch, eggs=2)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(report, personas.manager_a)
    html = client.get(url).content.decode()
    assert "已确认的坏蛋投诉：1 起，共 2 枚。" in html


def test_a_recall_does_not_alarm_buyers_refunded_before_their_eggs_left(shop, personas,
                                                                       django_capture_on_commit_callbacks):
    order = paid_order(shop, 2, personas)
    pack_order(order, user=personas.manager_a)
    payments.refund(order, out_refund_no="R-recall", reason="买家不要了", user=personas.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        recall_batch(shop.batch, reason="蛋壳污染", user=personas.manager_a)
    assert not Notification.objects.filter(event="batch.recalled").exists()


def test_eggs_of_a_batch_recalled_after_packing_are_not_sent_out(shop, personas):
    courier = paid_order(shop, 2, personas)
    pack_order(courier, user=personas.manager_a)
    pickup = paid_order(shop, 1, personas, fulfilment=Order.PICKUP, pickup_point=shop.pickup)
    pack_order(pickup, user=personas.manager_a)
    recall_batch(shop.batch, reason="蛋壳污染", user=personas.manager_a)
    with pytest.raises(OrderError) as err:
        mark_shipped(courier, courier_company="顺丰", tracking_no="SF1234567890", user=personas.manager_a)
    assert shop.batch.code in str(err.value) and "已召回" in str(err.value)
    with pytest.raises(OrderError):
        mark_ready_for_pickup(pickup, user=personas.manager_a)
    with pytest.raises(OrderError):
        pick_up(code=pickup.pickup_code, user=personas.manager_a)
    courier.refresh_from_db()
    pickup.refresh_from_db()
    assert courier.status == pickup.status == Order.PACKED
    # the way out is a refund
    row = payments.refund(courier, out_refund_no="R-recalled", reason="批次召回", user=personas.manager_a)
    payments.confirm_offline_refund(row, user=personas.manager_a, confirmation="现金当面退还")  # paid offline
    courier.refresh_from_db()
    assert courier.status == Order.REFUNDED


def test_a_sheet_made_before_the_recall_is_no_longer_handed_out(batch, client_for, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sheet = request_label_sheet(batch, copies=5, serialised=False, user=personas.manager_a)
    assert build_label_sheet(sheet.pk) is True
    c = client_for(personas.manager_a)
    assert c.get(f"/trace/sheets/{sheet.pk}.pdf").content.startswith(b"%PDF")
    recall_batch(batch, reason="检出沙门氏菌", user=personas.manager_a)
    r = c.get(f"/trace/sheets/{sheet.pk}.pdf")
    assert r.status_code == 409 and "已召回" in r.content.decode()
