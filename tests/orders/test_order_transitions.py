"""One transition function: every allowed move works and is recorded, every other one is refused."""

import pytest

from coop.models import AuditEvent
from orders.models import Order, OrderError
from orders.services.orders import Item, place_order
from orders.services.status import set_status
from tests.factories import ADDRESS

ALL = [s for s, _label in Order.STATUSES]
ALLOWED = [(a, b) for a in ALL for b in sorted(Order.TRANSITIONS[a])]
ILLEGAL = [(a, b) for a in ALL for b in ALL if b not in Order.TRANSITIONS[a]]


def an_order_in(shop, status):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_an_allowed_transition_changes_status_and_is_recorded(shop, personas, old, new):
    order = an_order_in(shop, old)
    set_status(order, new, user=personas.manager_a, reason="测试")
    order.refresh_from_db()
    assert order.status == new
    step = order.history.last()
    assert (step.from_status, step.to_status, step.changed_by, step.reason) == (old, new, personas.manager_a, "测试")
    assert AuditEvent.objects.filter(action=f"order.{new}", object_id=str(order.pk)).exists()


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_an_illegal_transition_is_refused_and_changes_nothing(shop, old, new):
    order = an_order_in(shop, old)
    with pytest.raises(OrderError) as err:
        set_status(order, new)
    assert "不能变为" in err.value.message
    order.refresh_from_db()
    assert order.status == old
    assert order.history.count() == 1


def test_a_stale_copy_cannot_overwrite_a_newer_status(shop):
    order = an_order_in(shop, Order.PENDING_PAYMENT)
    stale = Order.objects.get(pk=order.pk)
    set_status(order, Order.PAID)
    with pytest.raises(OrderError) as err:
        set_status(stale, Order.CANCELLED)
    assert err.value.code == "conflict"
    order.refresh_from_db()
    assert order.status == Order.PAID
