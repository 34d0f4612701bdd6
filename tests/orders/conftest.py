"""Shop fixtures: a cooperative with a product in stock, and a signed-up buyer."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Buyer, GroupBuy, PickupPoint, Product
from tests.factories import make_batch


@dataclass
class Shop:
    coop: object
    product: object
    batch: object
    pickup: object
    buyer: object  # Buyer row of personas.buyer


def make_product(coop, **kw):
    defaults = dict(name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10, price=Decimal("39.90"), per_order_limit=10)
    defaults.update(kw)
    return Product.objects.create(cooperative=coop, **defaults)


def make_group_buy(shop, leader, **kw):
    now = timezone.now()
    defaults = dict(code=f"G{GroupBuy.objects.count() + 1:05d}", title="尔吉村绿壳蛋接龙", product=shop.product,
                    price=Decimal("35.00"), stock_cap=8, per_person_limit=3,
                    starts_at=now - datetime.timedelta(hours=1),
                    deadline=now + datetime.timedelta(days=1), pickup_point=shop.pickup, leader=leader,
                    leader_name="阿果")
    defaults.update(kw)
    return GroupBuy.objects.create(cooperative=shop.coop, **defaults)


@pytest.fixture
def shop(personas):
    coop = personas.coop_a
    product = make_product(coop)
    batch = make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
    buyer = Buyer.objects.create(user=personas.buyer, name="张三", phone="13800001234")
    return Shop(coop=coop, product=product, batch=batch, pickup=pickup, buyer=buyer)


ADDRESS = {"recipient": "张三", "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas fixture creates nine users per test; the real hasher makes that seconds each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
