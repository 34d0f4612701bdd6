"""The after-sale pages: the buyer's 确认收货 / 申请售后 / 再来一单 and the manager's decision on the order page.
Another cooperative's manager and another buyer get 404; bad input gets a Chinese message and changes nothing."""

import pytest

from orders.models import AfterSale, Order, Refund
from orders.services import aftersale
from tests.factories import photo_upload
from tests.orders.test_aftersale_services import shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop, personas):
    return shipped_order(shop, personas.manager_a)


@pytest.fixture
def buyer(client_for, personas):
    return client_for(personas.buyer)


def page(resp):
    return resp.content.decode()


def test_the_buyer_confirms_receipt_asks_for_after_sale_and_sees_its_state(order, buyer, personas):
    before = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert "确认收货" in before and "申请售后" not in before.replace("收货后", "")
    assert buyer.post(f"/shop/orders/{order.number}/receive/").status_code == 302
    order.refresh_from_db()
    assert order.status == Order.COMPLETED
    after = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert 'id="ask-aftersale"' in after and 'id="receive"' not in after
    form = page(buyer.get(f"/shop/orders/{order.number}/aftersale/"))
    assert "运输破损" in form and "少发漏发" in form and 'name="photos"' in form
    resp = buyer.post(f"/shop/orders/{order.number}/aftersale/", {
        "line": order.lines.get().pk, "reason": "broken", "unit": "eggs", "quantity": "4", "note": "路上压碎了",
        "photos": [photo_upload()]})
    assert resp.status_code == 302
    row = AfterSale.objects.get()
    assert (row.reason, row.quantity, row.photos.count()) == ("broken", 4, 1)
    shown = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert "待合作社处理" in shown and "运输破损 4 枚" in shown
    assert 'id="ask-aftersale"' not in shown  # its only line is waiting for the cooperative


def test_bad_input_on_the_request_form_gets_a_message_and_saves_nothing(order, buyer, personas):
    aftersale.confirm_receipt(order, user=personas.buyer)
    url = f"/shop/orders/{order.number}/aftersale/"
    line = order.lines.get().pk
    cases = [
        ({"line": line, "reason": "broken", "unit": "eggs", "quantity": "很多"}, "数量应在 1 到 20 枚之间"),
        ({"line": line, "reason": "", "unit": "eggs", "quantity": "2"}, "请选择售后原因"),
        ({"line": "x", "reason": "broken", "unit": "eggs", "quantity": "2"}, "请选择要售后的商品"),
        ({"line": 999999, "reason": "broken", "unit": "eggs", "quantity": "2"}, "请选择要售后的商品"),
        ({"line": line, "reason": "broken", "unit": "dozen", "quantity": "2"}, "请选择按枚还是按盒"),
        ({"line": line, "reason": "broken", "unit": "eggs", "quantity": "2", "note": "长" * 301}, "说明最多 300 字"),
        ({"line": line, "reason": "broken", "unit": "eggs", "quantity": "2",
          "photos": [photo_upload(content=b"GIF89a")]}, "不是有效的图片文件"),
    ]
    for data, message in cases:
        resp = buyer.post(url, data)
        assert resp.status_code == 400, data
        assert message in page(resp), data
    assert not AfterSale.objects.exists()


def test_before_receipt_the_form_sends_the_buyer_back_with_the_reason(order, buyer):
    resp = buyer.get(f"/shop/orders/{order.number}/aftersale/", follow=True)
    assert "确认收货后可以申请售后" in page(resp)


def test_another_buyer_gets_404(order, client_for, personas):
    from orders.models import Buyer

    Buyer.objects.create(user=personas.outsider, name="李四", phone="13900001111")
    stranger = client_for(personas.outsider)
    for path in ("aftersale/", "receive/", "reorder/"):
        assert stranger.post(f"/shop/orders/{order.number}/{path}").status_code == 404
    order.refresh_from_db()
    assert order.status == Order.SHIPPED


def test_the_manager_decides_on_the_order_page_and_other_cooperatives_get_404(order, personas, client_for):
    aftersale.confirm_receipt(order, user=personas.buyer)
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason="bad_eggs", unit="eggs", quantity=2)
    other = client_for(personas.manager_b)
    url = f"/shop/manage/o/{order.number}/"
    assert other.get(url).status_code == 404
    assert other.post(f"{url}action/", {"action": "aftersale_refund", "aftersale": row.pk}).status_code == 404
    mine = client_for(personas.manager_a)
    shown = page(mine.get(url))
    assert "同意退款" in shown and "同意补发" in shown and "不予售后" in shown and 'value="7.98"' in shown
    assert "data-confirm" in shown  # destructive buttons ask first
    queue = page(mine.get("/shop/manage/"))
    assert "1 个售后申请待处理" in queue
    assert "售后申请待处理" not in page(other.get("/shop/manage/"))
    # Bad input: a message, nothing decided.
    for data, message in [({"amount": "七块"}, "请填写正确的退款金额"), ({"amount": "80"}, "还可退的 ¥79.80"),
                          ({"action": "aftersale_refuse", "note": ""}, "必须写明原因"),
                          ({"action": "aftersale_replace", "boxes": "9"}, "补发盒数应在 1 到 2 之间")]:
        post = {"action": "aftersale_refund", "aftersale": row.pk, **data}
        resp = mine.post(f"{url}action/", post, follow=True)
        assert message in page(resp), data
    row.refresh_from_db()
    assert row.status == AfterSale.REQUESTED and not Refund.objects.exists()
    assert mine.post(f"{url}action/", {"action": "aftersale_refund", "aftersale": "abc"}).status_code == 404
    resp = mine.post(f"{url}action/", {"action": "aftersale_refund", "aftersale": row.pk, "amount": "7.98",
                                       "note": "照片属实"}, follow=True)
    assert "已完成" in page(resp)
    row.refresh_from_db()
    assert row.status == AfterSale.REFUNDED and Refund.objects.get().amount_fen == 798
    buyer_page = page(client_for(personas.buyer).get(f"/shop/orders/{order.number}/"))
    assert "同意退款" in buyer_page and "¥7.98" in buyer_page


def test_an_inspector_of_the_cooperative_may_not_decide(order, personas, client_for):
    aftersale.confirm_receipt(order, user=personas.buyer)
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason="bad_eggs", unit="eggs", quantity=2)
    inspector = client_for(personas.inspector_a)
    resp = inspector.post(f"/shop/manage/o/{order.number}/action/", {"action": "aftersale_refund",
                                                                     "aftersale": row.pk})
    assert resp.status_code == 403
    row.refresh_from_db()
    assert row.status == AfterSale.REQUESTED


def test_the_admin_shows_each_cooperative_its_own_requests(order, personas, client_for):
    aftersale.confirm_receipt(order, user=personas.buyer)
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason="bad_eggs", unit="eggs", quantity=2)
    for user in (personas.manager_a, personas.manager_b):
        user.is_staff = True
        user.save()
    assert client_for(personas.manager_b).get(f"/admin/orders/aftersale/{row.pk}/change/").status_code in (302, 404)
    assert order.number not in page(client_for(personas.manager_b).get("/admin/orders/aftersale/"))
    mine = client_for(personas.manager_a)
    assert order.number in page(mine.get("/admin/orders/aftersale/"))
    resp = mine.post("/admin/orders/aftersale/", {"action": "replace", "_selected_action": [row.pk]}, follow=True)
    assert "已为 1 个售后申请安排补发" in page(resp)
    row.refresh_from_db()
    assert row.status == AfterSale.REPLACED and row.replacement.status == Order.PAID


def test_the_admin_refuses_with_the_reason_it_asks_for(order, personas, client_for):
    aftersale.confirm_receipt(order, user=personas.buyer)
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason="missing", unit="boxes", quantity=1)
    mine = client_for(personas.manager_a)
    ask = mine.post("/admin/orders/aftersale/", {"action": "refuse", "_selected_action": [row.pk]})
    assert "原因（买家会看到）" in page(ask)
    row.refresh_from_db()
    assert row.status == AfterSale.REQUESTED  # asked, not yet decided
    done = mine.post("/admin/orders/aftersale/", {"action": "refuse", "_selected_action": [row.pk], "confirm": "1",
                                                  "value": "快递签收时两盒都在"}, follow=True)
    assert "1 个售后申请不予售后" in page(done)
    row.refresh_from_db()
    assert (row.status, row.decision_note, row.decided_by) == (AfterSale.REFUSED, "快递签收时两盒都在",
                                                               personas.manager_a)
    inspector = client_for(personas.inspector_a)
    personas.inspector_a.is_staff = True
    personas.inspector_a.save()
    assert "不予售后（需写明原因）" not in page(inspector.get("/admin/orders/aftersale/"))


def test_reorder_fills_the_cart_and_says_what_is_missing(shop, order, buyer):
    resp = buyer.post(f"/shop/orders/{order.number}/reorder/", follow=True)
    assert "已把这单的商品放入购物车，共 2 盒" in page(resp)
    shop.product.active = False
    shop.product.save()
    resp = buyer.post(f"/shop/orders/{order.number}/reorder/", follow=True)
    assert "已下架，没有放入购物车" in page(resp)


def test_get_pages_write_nothing(order, buyer):
    buyer.get(f"/shop/orders/{order.number}/receive/")
    buyer.get(f"/shop/orders/{order.number}/reorder/")
    order.refresh_from_db()
    assert order.status == Order.SHIPPED


def test_the_manager_makes_a_failed_refund_again_from_the_order_page(order, personas, client_for):
    aftersale.confirm_receipt(order, user=personas.buyer)
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason="broken", unit="boxes", quantity=1)
    aftersale.decide_refund(row, user=personas.manager_a)
    url = f"/shop/manage/o/{order.number}/"
    mine = client_for(personas.manager_a)
    assert "重新退款" not in page(mine.get(url))
    Refund.objects.update(status=Refund.FAILED)  # the platform's REFUND.ABNORMAL
    assert "重新退款" in page(mine.get(url))
    assert client_for(personas.manager_b).post(f"{url}action/", {"action": "aftersale_retry",
                                                                  "aftersale": row.pk}).status_code == 404
    mine.post(f"{url}action/", {"action": "aftersale_retry", "aftersale": row.pk})
    assert Refund.objects.exclude(status=Refund.FAILED).get().out_refund_no == f"AS{row.pk}-2"
    resp = mine.post(f"{url}action/", {"action": "aftersale_retry", "aftersale": row.pk}, follow=True)
    assert "不需要重新发起" in page(resp) and Refund.objects.count() == 2
