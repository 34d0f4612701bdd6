"""A chain entry keeps the name it joined with (issue 17 defect 6): editing the profile afterwards changes
nothing anyone saw on the chain; a buyer without a name is 尾号5678 in the reader's language."""

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from orders.models import Buyer, Order
from orders.models import buyers as buyers_models
from orders.services.buyers import update_profile
from orders.services.orders import Item, place_order
from tests.factories import make_group_buy, make_user


def join(gb, buyer, boxes=1):
    return place_order(buyer=buyer, items=[Item(gb.product, boxes)], group_buy=gb)[0]


def test_the_chain_shows_the_name_joined_with_after_a_profile_edit(shop, personas, client, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    join(gb, shop.buyer, 2)  # 张三
    update_profile(shop.buyer, kind=shop.buyer.kind, name="王大锤")
    html = client.get(f"/shop/g/{gb.code}").content.decode()
    assert "张** 2盒" in html and "王**" not in html
    api = client.get(f"/api/group-buys/{gb.code}/").json()
    assert [e["name"] for e in api["chain"]] == ["张**"]


def test_a_buyer_without_a_name_is_shown_by_phone_tail_in_each_language(shop, personas, client, monkeypatch):
    gb = make_group_buy(shop, personas.manager_a)
    nameless = Buyer.objects.create(user=make_user(), phone="13900005678")
    join(gb, nameless)
    assert "尾号5678 1盒" in client.get(f"/shop/g/{gb.code}").content.decode()
    # The words go through the translation catalogue (the English text is compiled with `make messages`).
    english = {"尾号%(tail)s": "phone …%(tail)s"}
    monkeypatch.setattr(buyers_models, "_", lambda text: english.get(text, text))
    assert Order.objects.get(buyer=nameless).chain_label == "phone …5678"


def test_the_migration_gives_old_entries_the_name_on_the_order(shop, personas):
    gb = make_group_buy(shop, personas.manager_a)
    named = join(gb, shop.buyer)
    nameless = join(gb, Buyer.objects.create(user=make_user(), phone="13900005678"))
    before_copy = join(gb, Buyer.objects.create(user=make_user(), name="李四", phone="13900001111"))
    plain = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)],
                        address={"recipient": "张三", "phone": "13800001234", "address": "西昌市 1 号"})[0]
    Order.objects.update(chain_name="")
    Order.objects.filter(pk=named.pk).update(buyer_name="张三")
    Order.objects.filter(pk=before_copy.pk).update(buyer_name="")  # placed before 0006 copied the name
    shop.buyer.name = "王大锤"
    shop.buyer.save()

    migration = importlib.import_module("orders.migrations.0013_order_chain_name")
    migration.backfill_chain_names(apps, SimpleNamespace(connection=connection))

    names = dict(Order.objects.values_list("pk", "chain_name"))
    assert names == {named.pk: "张**", nameless.pk: "", before_copy.pk: "李**", plain.pk: ""}
