"""Defect 1 of issue 17, "no remedy from the box": a report started from the scan page by the signed-in buyer
whose order holds that batch is linked to that order; anyone else is asked for the order number or phone; the
status page says what the customer will get and when, and offers the after-sale remedy."""

import pytest

from coop.models import Notification
from orders.models import AfterSale, Refund
from orders.services import aftersale
from quality.models import BadEggReport
from tests.factories import confirm, make_charter
from tests.orders.test_aftersale_services import shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop, personas):
    make_charter(personas.coop_a)
    return shipped_order(shop, personas.manager_a)


def page(resp):
    return resp.content.decode()


def test_a_signed_in_buyer_reporting_from_the_box_is_linked_to_their_order(shop, order, personas, client_for):
    buyer = client_for(personas.buyer)
    url = f"/t/{shop.batch.code}/report/"
    form = page(buyer.get(url))  # from the scan page: no ?order=
    assert f"关联订单 {order.number}" in form and 'name="order_lookup"' not in form
    resp = buyer.post(url, {"eggs": 2, "defect": "rotten"})
    report = BadEggReport.objects.get()
    assert (report.order_ref, report.source) == (order.number, BadEggReport.SOURCE_SCAN)
    status = page(buyer.get(resp["Location"]))
    assert "退还这 2 枚坏蛋的钱 ¥7.98" in status and "2 个工作日" in status
    assert "线下付的款，钱由合作社当面或转账退给您" in status  # paid in cash: not "原路退回"
    assert f"/shop/orders/{order.number}/aftersale/?report={report.reference}" in status  # offers after-sale
    # Someone else with the reference sees the promise but not the buyer's order.
    other = page(client_for(None).get(resp["Location"]))
    assert order.number not in other and "已关联您的订单" in other


def test_confirming_the_linked_report_refunds_the_buyer_and_tells_them(shop, order, personas, client_for):
    client_for(personas.buyer).post(f"/t/{shop.batch.code}/report/", {"eggs": 2, "defect": "rotten"})
    report = BadEggReport.objects.get()
    confirm(report, personas.manager_a)
    assert Refund.objects.get(order=order).amount_fen == 798
    told = Notification.objects.get(event="report.decided")
    assert told.phone == shop.buyer.phone and report.reference in told.body  # no contact phone was typed


def test_anyone_else_is_asked_for_the_order_number_or_phone(shop, order, client_for):
    anonymous = client_for(None)
    url = f"/t/{shop.batch.code}/report/"
    assert 'name="order_lookup"' in page(anonymous.get(url))
    resp = anonymous.post(url, {"eggs": 1, "defect": "rotten", "order_lookup": "20200101000000123456"})
    assert resp.status_code == 400 and "没有找到含这批蛋的订单" in page(resp)
    assert not BadEggReport.objects.exists()
    anonymous.post(url, {"eggs": 1, "defect": "rotten", "order_lookup": "138 0000 1234"})  # the order's phone
    assert BadEggReport.objects.get().order_ref == order.number
    BadEggReport.objects.all().delete()
    client_for(None).post(url, {"eggs": 1, "defect": "cracked", "order_lookup": order.number})
    assert BadEggReport.objects.get().order_ref == order.number


def test_an_unlinked_report_says_it_will_not_refund_by_itself(shop, client_for):
    resp = client_for(None).post(f"/t/{shop.batch.code}/report/", {"eggs": 1, "defect": "rotten"})
    status = page(client_for(None).get(resp["Location"]))
    assert "没有关联订单，所以不会自动退款" in status


def test_an_after_sale_from_the_report_is_the_one_remedy(shop, order, personas, client_for):
    buyer = client_for(personas.buyer)
    buyer.post(f"/t/{shop.batch.code}/report/", {"eggs": 3, "defect": "rotten"})
    report = BadEggReport.objects.get()
    form = page(buyer.get(f"/shop/orders/{order.number}/aftersale/?report={report.reference}&eggs=3"))
    assert f"来自坏蛋报告 {report.reference}" in form  # shipped, not yet confirmed: the box is open in hand
    buyer.post(f"/shop/orders/{order.number}/aftersale/", {
        "report": report.reference, "line": order.lines.get().pk, "reason": "bad_eggs", "unit": "eggs",
        "quantity": "3"})
    row = AfterSale.objects.get()
    assert row.report_reference == report.reference
    confirm(report, personas.manager_a)  # the farmers' side goes on; the buyer's remedy is the after-sale's
    report.refresh_from_db()
    assert not Refund.objects.exists() and "申请售后" in report.remedy
    aftersale.decide_refund(row, user=personas.manager_a)
    assert Refund.objects.get().amount_fen == 1197
    status = page(buyer.get(f"/report/{report.reference}/"))
    assert "同意退款" in status and "¥11.97" in status


def test_a_report_already_refunded_cannot_be_claimed_again(shop, order, personas, client_for):
    buyer = client_for(personas.buyer)
    buyer.post(f"/t/{shop.batch.code}/report/", {"eggs": 2, "defect": "rotten"})
    report = BadEggReport.objects.get()
    confirm(report, personas.manager_a)
    resp = buyer.post(f"/shop/orders/{order.number}/aftersale/", {
        "report": report.reference, "line": order.lines.get().pk, "reason": "bad_eggs", "unit": "eggs",
        "quantity": "2"})
    assert resp.status_code == 400 and "已经给您退过款了" in page(resp)
    assert not AfterSale.objects.exists()
