"""Managers (or a double-clicking one) post many refunds of one paid order at the same moment.

The refundable amount is read and the refund written under a lock on the payment, so however many
posts arrive together the refunds never add up to more than was paid. With locking switched off
(the test-only setting) the same burst refunds more than was paid: the race is real.
"""

import pytest
from django.db.models import Sum

from orders.models import OrderError, Refund
from orders.services import payments
from orders.services.orders import Item, place_order
from tests.conftest import requires_postgres
from tests.factories import ADDRESS
from tests.trust.parallel import run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

POSTS = 12


def paid_offline(shop, manager):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)  # ¥79.80
    payments.record_offline_payment(order, reference="农行转账 8812", user=manager)
    return order


def burst(order, manager):
    """POSTS refunds of ¥39.90 (half the order) each, released together by the shared harness."""
    copies = [type(order).objects.get(pk=order.pk) for _i in range(POSTS)]  # each post loads its own order
    results = run_parallel([lambda copy=copy, i=i: payments.refund(
        copy, out_refund_no=f"RACE-{order.pk}-{i}", amount="39.90", reason="坏蛋赔付", user=manager)
        for i, copy in enumerate(copies)])
    # Any other exception stays in the list (as its repr), so the locked test's count shows it.
    return ["refused" if isinstance(r, OrderError) else repr(r) if isinstance(r, Exception) else "refunded"
            for r in results]


def refunded_fen(order):
    return Refund.objects.filter(order=order).exclude(status=Refund.FAILED).aggregate(n=Sum("amount_fen"))["n"] or 0


def test_it_never_refunds_more_than_was_paid(shop, personas, settings):
    settings.GREENSHELL_LOCKING = True
    order = paid_offline(shop, personas.manager_a)
    outcomes = burst(order, personas.manager_a)
    assert sorted(outcomes) == ["refunded"] * 2 + ["refused"] * (POSTS - 2)
    assert refunded_fen(order) == 7980


def test_without_the_lock_the_same_burst_refunds_too_much(shop, personas, settings):
    """Proves the test above can fail: only the lock on the payment keeps refunds within what was paid."""
    settings.GREENSHELL_LOCKING = False
    over = []
    for _round in range(5):
        order = paid_offline(shop, personas.manager_a)
        burst(order, personas.manager_a)
        over.append(refunded_fen(order))
        if refunded_fen(order) > 7980:
            break
    assert max(over) > 7980, f"five bursts without the lock never over-refunded ({over}): the test tests nothing"
