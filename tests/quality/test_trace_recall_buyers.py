"""A recall reaches the buyers whose orders carried the batch — once — and shows in the export."""

import pytest

from coop.models import Notification
from orders.services.orders import mark_shipped, pack_order
from quality.services.recall import notify_buyers, recall_batch
from tests.orders.test_packing_and_trace import paid_order

pytestmark = pytest.mark.django_db


def test_buyers_of_a_recalled_batch_are_told_once(shop, personas, client,  # noqa: F811
                                                 django_capture_on_commit_callbacks):
    order = paid_order(shop, 2, personas)
    pack_order(order, user=personas.manager_a)
    mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890", user=personas.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        recall_batch(shop.batch, reason="蛋壳污染", user=personas.manager_a)
    notes = Notification.objects.filter(event="batch.recalled")
    assert notes.count() == 1
    assert shop.batch.code in notes.get().body and "蛋壳污染" in notes.get().body
    assert notes.get().phone == "13800001234"
    notify_buyers(shop.batch.pk)  # a retried task
    assert notes.count() == 1
    events = client.get(f"/t/{shop.batch.trace.code}/epcis.json").json()["epcisBody"]["eventList"]
    shipping = [e for e in events if e.get("bizStep") == "shipping"]
    assert len(shipping) == 1 and shipping[0]["quantityList"][0]["quantity"] == 20
    assert "张三" not in str(events) and "13800001234" not in str(events)
