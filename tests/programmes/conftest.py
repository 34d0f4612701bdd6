"""Pairing fixtures: a cooperative whose eggs came through real intake (so households have ledger
credits), packed batches, a 紫南村–莫谷村 programme, an institution and its buyer."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import PriceSchedule
from coop.services.intake import record_delivery
from orders.models import Buyer, Product
from orders.models.programmes import BuyerAffiliation, BuyerOrganisation, Programme
from orders.services import orders as order_service
from orders.services import payments
from tests.factories import make_batch, make_farmer, make_user, make_village

ADDRESS = {"recipient": "李主任", "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号 食堂"}


@dataclass
class Pairing:
    coop: object
    village: object  # 莫谷村
    other_village: object
    farmers: list
    batches: list
    product: object
    programme: object
    org: object
    buyer: object
    other_buyer: object  # a plain buyer, no organisation


def deliver(farmer, eggs, *, wc="L"):
    day = timezone.localdate() - datetime.timedelta(days=1)
    return record_delivery(farmer=farmer, laid_from=day, accepted={wc: eggs})


@pytest.fixture
def pairing(personas):
    return make_pairing(personas)


def make_pairing(personas):
    coop = personas.coop_a
    today = timezone.localdate()
    PriceSchedule.objects.create(cooperative=coop, weight_class="L", price_per_egg=Decimal("1.37"),
                                 effective_from=today - datetime.timedelta(days=60))
    mogu = make_village(coop, name="莫谷村")
    zhuogu = make_village(coop, name="桌古村")
    farmers = [make_farmer(coop, mogu, head_name="吉克阿牛", hens=200), make_farmer(coop, mogu, hens=200),
               make_farmer(coop, zhuogu, hens=200)]
    # Batch 1: 30 + 20 eggs from two 莫谷村 households; batch 2: 30 eggs from 桌古村 and 20 from 莫谷村.
    d = [deliver(farmers[0], 30), deliver(farmers[1], 20), deliver(farmers[2], 30), deliver(farmers[1], 25)]
    b1 = make_batch(coop, deliveries=[d[0], d[1]], weight_class="L", pack_size=10, boxes=5, code="HBLA-P1")
    b2 = make_batch(coop, deliveries=[d[2], d[3]], weight_class="L", pack_size=10, boxes=5, code="HBLA-P2")
    # make_batch packs earliest best-before first by our order of creation; push b2 later.
    b2.best_before = b1.best_before + datetime.timedelta(days=1)
    b2.save(update_fields=["best_before"])
    product = Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                                     price=Decimal("39.90"), per_order_limit=10)
    programme = Programme.objects.create(
        cooperative=coop, code="ZNMG16", name="紫南村—莫谷村结对帮扶", east_organisation="佛山市禅城区紫南村",
        east_city="佛山市", east_province="广东省", starts_on=today - datetime.timedelta(days=365))
    programme.villages.add(mogu)
    org = BuyerOrganisation.objects.create(cooperative=coop, name="佛山市禅城区某机关食堂",
                                           kind=BuyerOrganisation.INSTITUTION, contact_phone="13800009999")
    org.programmes.add(programme)
    buyer = Buyer.objects.create(user=personas.buyer, name="李主任", phone="13800001234",
                                 kind=Buyer.INSTITUTION)
    BuyerAffiliation.objects.create(buyer=buyer, organisation=org)
    other = Buyer.objects.create(user=make_user("walkin"), name="王五", phone="13900005678")
    return Pairing(coop=coop, village=mogu, other_village=zhuogu, farmers=farmers, batches=[b1, b2],
                   product=product, programme=programme, org=org, buyer=buyer, other_buyer=other)


def place(pairing, boxes, *, buyer=None, code="ZNMG16"):
    """Place an order and attribute it the way the shop does after /shop/p/<code>."""
    buyer = buyer or pairing.buyer
    order, _created = order_service.place_order(
        buyer=buyer, items=[order_service.Item(pairing.product, boxes)], address=ADDRESS, programme_code=code)
    return order


def pay(order, manager):
    payments.record_offline_payment(order, reference=f"转账-{order.pk}", user=manager)
    order.refresh_from_db()
    return order


def buy(pairing, boxes, manager, *, pack=True, **kw):
    order = pay(place(pairing, boxes, **kw), manager)
    if pack:
        order_service.pack_order(order, user=manager)
        order.refresh_from_db()
    return order
