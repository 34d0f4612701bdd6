"""Group buys (接龙): numbered chain, caps and limits, closing at the deadline, pickup check-off."""

import datetime

import pytest
from django.utils import timezone

from orders.models import Buyer, GroupBuy, Order, OrderError
from orders.services import payments
from orders.services.orders import Item, close_due_group_buys, pack_order, pick_up, place_order
from tests.factories import make_group_buy, make_user


def join(gb, buyer, boxes):
    return place_order(buyer=buyer, items=[Item(gb.product, boxes)], group_buy=gb)[0]


def another_buyer(name):
    return Buyer.objects.create(user=make_user(), name=name)


def test_members_get_numbers_in_order_and_pay_the_group_price(shop, personas):
    gb = make_group_buy(shop, personas.manager_a)
    a = join(gb, shop.buyer, 2)
    b = join(gb, another_buyer("李四"), 1)
    assert (a.chain_no, b.chain_no) == (1, 2)
    assert str(a.total) == "70.00"
    assert a.fulfilment == Order.PICKUP and a.pickup_point == shop.pickup


def test_the_cap_and_the_per_person_limit_hold(shop, personas):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=4, per_person_limit=3)
    join(gb, shop.buyer, 3)
    with pytest.raises(OrderError) as err:
        join(gb, shop.buyer, 1)
    assert "每人限购 3 盒" in err.value.message
    with pytest.raises(OrderError) as err:
        join(gb, another_buyer("王五"), 2)
    assert "仅剩 1 盒" in err.value.message


def test_the_page_shows_the_chain_with_masked_names(shop, personas, client):
    gb = make_group_buy(shop, personas.manager_a)
    join(gb, shop.buyer, 2)
    html = client.get(f"/shop/g/{gb.code}").content.decode()
    assert "张** 2盒" in html
    assert "张三" not in html
    assert "仅剩 6 盒" in html


def test_joining_from_the_page_needs_sign_in_then_creates_the_order(shop, personas, client, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    assert client.post(f"/shop/g/{gb.code}", {"boxes": 1}).status_code == 302
    assert not Order.objects.exists()
    resp = client_for(shop.buyer.user).post(f"/shop/g/{gb.code}", {"boxes": 2, "name": "张三", "key": "x1"})
    order = Order.objects.get()
    assert resp["Location"] == f"/shop/orders/{order.number}/"
    assert order.chain_no == 1


def test_the_chain_closes_at_the_deadline(shop, personas):
    gb = make_group_buy(shop, personas.manager_a, deadline=timezone.now() + datetime.timedelta(minutes=5))
    assert close_due_group_buys() == 0
    assert close_due_group_buys(now=timezone.now() + datetime.timedelta(minutes=6)) == 1
    gb.refresh_from_db()
    assert gb.status == GroupBuy.CLOSED
    with pytest.raises(OrderError):
        join(gb, shop.buyer, 1)


def test_the_leader_checks_off_a_pickup_by_code_once(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    order = join(gb, shop.buyer, 1)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    pack_order(order)
    leader = client_for(personas.manager_a)
    resp = leader.post(f"/shop/g/{gb.code}/pickup/", {"code": order.pickup_code.lower()}, follow=True)
    assert "已核销" in resp.content.decode()
    order.refresh_from_db()
    assert order.status == Order.COMPLETED and order.picked_up_at
    with pytest.raises(OrderError) as err:
        pick_up(code=order.pickup_code, user=personas.manager_a, group_buy=gb)
    assert "已经取过货" in err.value.message


def test_only_the_leader_or_a_manager_may_check_off_or_see_the_summary(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    assert client_for(personas.outsider).get(f"/shop/g/{gb.code}/pickup/").status_code == 403
    assert client_for(personas.manager_b).get(f"/shop/g/{gb.code}/summary/").status_code == 403
    join(gb, shop.buyer, 2)
    ok = client_for(personas.manager_a)
    assert "张三" in ok.get(f"/shop/g/{gb.code}/summary/").content.decode()
    xlsx = ok.get(f"/shop/g/{gb.code}/summary/?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in ws[3]][:4] == [1, "张三", "1234", 2]


def test_a_manager_posts_a_group_buy_with_a_buyer_as_leader(shop, personas, client_for):
    m = client_for(personas.manager_a)
    form = {"product": shop.product.pk, "title": "周六接龙", "price": "33.00", "stock_cap": 20,
            "per_person_limit": 3, "deadline": (timezone.localtime() + datetime.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M"), "pickup_point": shop.pickup.pk, "leader_phone": "13800001234"}
    resp = m.post("/shop/manage/g/new/", form)
    gb = GroupBuy.objects.get(title="周六接龙")
    assert resp["Location"] == f"/shop/g/{gb.code}"
    assert gb.leader == shop.buyer.user and gb.leader_name == "张三"
    # the leader can check off pickups on their own phone
    assert client_for(shop.buyer.user).get(f"/shop/g/{gb.code}/pickup/").status_code == 200
    bad = m.post("/shop/manage/g/new/", {**form, "title": "太早", "deadline": timezone.localtime().strftime(
        "%Y-%m-%dT%H:%M")})
    assert "30 分钟" in bad.content.decode()
    assert not GroupBuy.objects.filter(title="太早").exists()
    assert client_for(personas.manager_b).post("/shop/manage/g/new/", {**form, "title": "别人的"}).status_code == 200
    assert not GroupBuy.objects.filter(title="别人的").exists()
