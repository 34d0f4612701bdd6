"""Twenty managers (or one impatient one) decide the same after-sale refund at once: it refunds once.

The decision is a compare-and-set from "open" under the line's lock, and the refund goes through the
payment's lock with a refund number derived from the request; so of twenty parallel decisions one refunds
and nineteen are told it was already decided."""

import pytest

from orders.models import AfterSale, AfterSaleError, Refund
from orders.services import aftersale, payments
from orders.services.orders import Item, mark_shipped, pack_order, place_order
from tests.conftest import requires_postgres
from tests.factories import ADDRESS
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

DECISIONS = 20


def open_request(shop, manager, buyer_user):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=manager)
    order.refresh_from_db()
    pack_order(order, user=manager)
    mark_shipped(order, courier_company="邮政", tracking_no="YZ1", user=manager)
    order.refresh_from_db()
    aftersale.confirm_receipt(order, user=buyer_user)
    order.refresh_from_db()
    return aftersale.request_aftersale(order, line=order.lines.get(), reason=AfterSale.BROKEN,
                                       unit=AfterSale.BOXES, quantity=1)


def test_twenty_parallel_refund_decisions_refund_once(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    row = open_request(shop, personas.manager_a, personas.buyer)
    copies = [AfterSale.objects.get(pk=row.pk) for _i in range(DECISIONS)]  # each decision loads its own row
    results = run_parallel([lambda copy=copy: aftersale.decide_refund(copy, user=personas.manager_a)
                            for copy in copies])
    assert errors(results, AfterSaleError) == []
    refused = [r for r in results if isinstance(r, AfterSaleError)]
    assert len(refused) == DECISIONS - 1 and all("已经处理过了" in r.message for r in refused)
    refunds = Refund.objects.filter(order=row.order)
    assert [(r.out_refund_no, r.amount_fen) for r in refunds] == [(f"AS{row.pk}-1", 3990)]
    row.refresh_from_db()
    assert (row.status, row.refund) == (AfterSale.REFUNDED, refunds.get())
