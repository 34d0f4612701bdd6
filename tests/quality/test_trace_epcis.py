"""The EPCIS 2.0 export of a batch's history."""

import datetime

import pytest
from django.utils import timezone

from orders.models import Allocation, OrderStatusChange
from orders.services import payments
from orders.services.orders import Item, mark_shipped, pack_order, place_order
from quality.services.recall import recall_batch
from tests.factories import ADDRESS, make_batch, make_delivery, make_farmer

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(personas):
    farmer = make_farmer(personas.coop_a, personas.village_a, head_name="吉克阿牛", member_no="EJ777")
    d1 = make_delivery(farmer, accepted={"L": 30}, rejected={"cracked": 2})
    d2 = make_delivery(personas.farmer_a, accepted={"L": 10})
    return make_batch(personas.coop_a, deliveries=[d1, d2], pack_size=10, boxes=4, code="HBLA-20261127-03")


def test_it_exports_the_history_as_an_epcis_2_document(batch, client):
    r = client.get(f"/t/{batch.trace.code}/epcis.json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    events = doc["epcisBody"]["eventList"]
    steps = [(e["type"], e.get("bizStep"), e.get("disposition")) for e in events]
    assert steps.count(("ObjectEvent", "commissioning", "active")) == 2
    assert steps.count(("ObjectEvent", "inspecting", "conformant")) == 2
    assert steps.count(("ObjectEvent", "inspecting", "non_conformant")) == 1
    transformation = next(e for e in events if e["type"] == "TransformationEvent")
    assert sum(q["quantity"] for q in transformation["inputQuantityList"]) == 40
    assert transformation["outputQuantityList"][0]["epcClass"].endswith(f"/t/{batch.trace.code}")
    rejects = next(e for e in events if e.get("disposition") == "non_conformant")
    assert rejects["quantityList"][0]["quantity"] == 2


def test_the_public_export_names_no_household(batch, client, personas):
    body = client.get(f"/t/{batch.trace.code}/epcis.json").content.decode()
    for farmer in (personas.farmer_a, batch.deliveries.exclude(farmer=personas.farmer_a).first().farmer):
        assert farmer.head_name not in body and farmer.phone not in body and farmer.member_no not in body


def test_a_manager_of_the_cooperative_may_see_member_numbers(batch, client_for, personas):
    url = f"/t/{batch.trace.code}/epcis.json?private=1"
    assert "EJ777" in client_for(personas.manager_a).get(url).content.decode()
    assert "EJ777" not in client_for(personas.manager_b).get(url).content.decode()
    assert "EJ777" not in client_for(None).get(url).content.decode()


def test_a_recall_is_an_event_in_the_export(batch, client, personas):
    recall_batch(batch, reason="破损率高", user=personas.manager_a)
    events = client.get(f"/t/{batch.trace.code}/epcis.json").json()["epcisBody"]["eventList"]
    recall = [e for e in events if e.get("disposition") == "recalled"]
    assert len(recall) == 1 and recall[0]["greenshell:reason"] == "破损率高"


def test_with_a_gtin_the_batch_is_a_gs1_lot_class(batch, client):
    batch.cooperative.gtin = "06901234567892"
    batch.cooperative.save()
    doc = client.get(f"/t/{batch.trace.code}/epcis.json").json()
    out = next(e for e in doc["epcisBody"]["eventList"] if e["type"] == "TransformationEvent")
    assert out["outputQuantityList"][0]["epcClass"] == "https://id.gs1.org/01/06901234567892/10/HBLA-20261127-03"


def test_unknown_code_export_is_404(client):
    assert client.get("/t/ABCDEFGHJK/epcis.json").status_code == 404


def _shipping(client, batch):
    events = client.get(f"/t/{batch.trace.code}/epcis.json").json()["epcisBody"]["eventList"]
    return [e for e in events if e.get("bizStep") == "shipping"]


def _packed_order(shop, boxes, personas, **kw):
    kw.setdefault("address", ADDRESS)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], **kw)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    return pack_order(order, user=personas.manager_a)


def test_it_emits_no_shipping_for_boxes_only_packed(shop, client, personas):
    _packed_order(shop, 3, personas)
    assert _shipping(client, shop.batch) == []


def test_it_emits_shipping_when_the_order_ships_at_that_time(shop, client, personas):
    order = _packed_order(shop, 3, personas)
    # packed yesterday, shipped today: the event is the shipping, not the packing
    Allocation.objects.update(created_at=timezone.now() - datetime.timedelta(days=1))
    mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890", user=personas.manager_a)
    left = OrderStatusChange.objects.get(order=order, to_status="shipped").created_at
    shipping = _shipping(client, shop.batch)
    assert len(shipping) == 1
    assert shipping[0]["quantityList"][0]["quantity"] == 30
    assert shipping[0]["eventTime"] == timezone.localtime(left).isoformat(timespec="seconds")


def test_it_emits_nothing_for_an_order_refunded_before_it_shipped(shop, client, personas):
    order = _packed_order(shop, 3, personas)
    payments.refund(order, out_refund_no="R-epcis", reason="买家不要了", user=personas.manager_a)
    assert _shipping(client, shop.batch) == []


def test_a_refund_after_shipping_keeps_the_shipping_event(shop, client, personas):
    order = _packed_order(shop, 2, personas)
    mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890", user=personas.manager_a)
    payments.refund(order, out_refund_no="R-epcis2", reason="蛋碎了", user=personas.manager_a)
    assert len(_shipping(client, shop.batch)) == 1
