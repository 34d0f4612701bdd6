"""A buyer double-taps 确认提交 (or posts from two tabs) and two managers issue the same 发票 at once.

The request is written under the order's lock after re-reading whether one exists, and the one-to-one
column refuses a second row; issuing is a compare-and-set from "待开票". So twenty posts make one request
and ten managers issue it once. With locking switched off (the test-only setting) the same burst gets past
the check and only the column stops it: the race the lock closes is real, and the column is the backstop.
"""

import pytest
from django.test import Client

from coop.models import AuditEvent, Notification
from orders.models import InvoiceError, InvoiceRequest
from orders.services import invoices, payments
from orders.services.orders import Item, place_order
from tests.conftest import requires_postgres
from tests.factories import ADDRESS
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

POSTS = 20
GOOD_CODE = "91440300708461136T"
BY_COLUMN = "这个订单已经申请过发票了。"  # the one-to-one column's refusal (the lock's names the status)


def paid_order(shop, manager):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=manager)
    order.refresh_from_db()
    return order


def burst(order):
    copies = [type(order).objects.select_related("buyer").get(pk=order.pk) for _i in range(POSTS)]
    return run_parallel([lambda copy=copy, i=i: invoices.request_invoice(
        copy, kind="company", title=f"某公司{i}", tax_number=GOOD_CODE) for i, copy in enumerate(copies)])


def test_twenty_parallel_requests_make_one(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    order = paid_order(shop, personas.manager_a)
    results = burst(order)
    assert errors(results, InvoiceError) == []
    refused = [r for r in results if isinstance(r, InvoiceError)]
    assert len(refused) == POSTS - 1
    # Every refusal came from the check under the lock (it names the status), none from the column.
    assert all(r.message == "这个订单已经申请过发票了（待开票）。" for r in refused)
    assert InvoiceRequest.objects.filter(order=order).count() == 1
    assert AuditEvent.objects.filter(action="invoice.requested").count() == 1
    assert Notification.objects.filter(event="order.invoice_requested").count() == 1


def test_without_the_lock_the_column_is_what_stops_the_second_request(shop, personas, settings):
    """Proves the race exists: past an unlocked check, only the one-to-one column refuses the second row."""
    settings.GREENSHELL_LOCKING = False
    by_column = 0
    for _round in range(5):
        order = paid_order(shop, personas.manager_a)
        results = burst(order)
        assert errors(results, InvoiceError) == []  # never a 500, even so
        assert InvoiceRequest.objects.filter(order=order).count() == 1
        by_column += sum(1 for r in results if isinstance(r, InvoiceError) and r.message == BY_COLUMN)
        if by_column:
            break
    assert by_column > 0


def test_parallel_posts_of_the_confirm_form_make_one_request(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    order = paid_order(shop, personas.manager_a)
    data = {"step": "confirm", "kind": "company", "title": "佛山市禅城区紫南食品有限公司", "tax_number": GOOD_CODE,
            "email": "", "save_details": "1"}

    def post():
        client = Client()
        client.force_login(personas.buyer)
        return client.post(f"/shop/orders/{order.number}/invoice/", data).status_code

    statuses = run_parallel([post for _i in range(10)])
    assert statuses == [302] * 10  # each told on the order page: sent, or already asked
    assert InvoiceRequest.objects.filter(order=order).count() == 1


def test_ten_managers_issuing_at_once_issue_once(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    order = paid_order(shop, personas.manager_a)
    row = invoices.request_invoice(order, kind="personal", title="张三")
    copies = [InvoiceRequest.objects.get(pk=row.pk) for _i in range(10)]
    results = run_parallel([lambda copy=copy, i=i: invoices.issue_invoice(
        copy, user=personas.manager_a, invoice_number=f"1234567{i}", amount=row.amount)
        for i, copy in enumerate(copies)])
    assert errors(results, InvoiceError) == []
    refused = [r for r in results if isinstance(r, InvoiceError)]
    assert len(refused) == 9 and all("已经处理过了" in r.message for r in refused)
    row.refresh_from_db()
    assert row.status == InvoiceRequest.ISSUED
    assert AuditEvent.objects.filter(action="invoice.issued").count() == 1
    assert Notification.objects.filter(event="order.invoice_issued").count() == 1


def test_one_invoice_number_typed_into_two_requests_at_once_is_registered_once(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    rows = [invoices.request_invoice(paid_order(shop, personas.manager_a), kind="personal", title="张三")
            for _i in range(6)]
    results = run_parallel([lambda row=row: invoices.issue_invoice(
        row, user=personas.manager_a, invoice_number="26442000000123456789", amount=row.amount) for row in rows])
    assert errors(results, InvoiceError) == []
    assert sum(1 for r in results if isinstance(r, InvoiceRequest)) == 1
    assert InvoiceRequest.objects.filter(invoice_number="26442000000123456789").count() == 1
