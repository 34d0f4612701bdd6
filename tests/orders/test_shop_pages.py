"""Buyer sign-in, the shop pages, the poster, and who sees which orders (pages and API)."""

import re

from PIL import Image

from coop.models import Notification
from orders.models import Buyer, Order
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS


def code_sent_to(phone):
    body = Notification.objects.filter(phone=phone, event="buyer.login_code").latest("id").body
    return re.search(r"\d{6}", body).group()


def test_a_buyer_signs_in_with_a_code_sent_to_their_mobile(db, client):
    resp = client.post("/shop/login/", {"phone": "138 0013 8000", "action": "send"})
    assert resp.status_code == 302
    assert client.post("/shop/login/", {"phone": "13800138000", "code": "000000", "action": "verify"}
                       ).status_code == 200
    code = code_sent_to("13800138000")
    resp = client.post("/shop/login/", {"phone": "13800138000", "code": code, "action": "verify", "next": "/shop/"})
    assert resp.status_code == 302
    assert Buyer.objects.get(phone="13800138000")
    assert client.get("/shop/orders/").status_code == 200
    # A code signs in once.
    client.post("/shop/logout/")
    page = client.post("/shop/login/", {"phone": "13800138000", "code": code, "action": "verify"})
    assert "验证码已过期" in page.content.decode() or "请重新获取" in page.content.decode()


def test_a_second_code_within_a_minute_is_refused(db, client):
    client.post("/shop/login/", {"phone": "13800138001", "action": "send"})
    page = client.post("/shop/login/", {"phone": "13800138001", "action": "send"}, follow=True)
    assert "60 秒" in page.content.decode()
    assert Notification.objects.filter(phone="13800138001").count() == 1


def test_a_bad_phone_number_gets_a_clear_message(db, client):
    page = client.post("/shop/login/", {"phone": "12345", "action": "send"})
    assert "11 位手机号" in page.content.decode()


def test_wechat_shaped_sign_in_returns_the_same_buyer_for_the_same_browser(db, client):
    start = client.get("/shop/login/wechat/?next=/shop/orders/")
    authorize = start["Location"]
    assert authorize.startswith("/shop/sandbox/oauth/authorize/")
    back = client.post(authorize)
    assert "code=" in back["Location"]
    done = client.get(back["Location"])
    assert done["Location"] == "/shop/orders/"
    buyer = Buyer.objects.get()
    assert buyer.wechat_openid.startswith("o")
    client.post("/shop/logout/")
    client.get(client.post(client.get("/shop/login/wechat/")["Location"])["Location"])
    assert Buyer.objects.count() == 1


def test_the_shop_lists_products_with_boxes_left(shop, client):
    html = client.get("/shop/").content.decode()
    assert "绿壳鸡蛋 10枚装" in html and "仅剩 10 盒" in html
    page = client.get(f"/shop/p/{shop.product.pk}/").content.decode()
    assert 'property="og:title"' in page and "poster.png" in page


def test_checkout_places_one_order_even_if_submitted_twice(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 2})
    form = {"fulfilment": "courier", "key": "same-key", **ADDRESS}
    first = c.post("/shop/checkout/", form)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 2})
    second = c.post("/shop/checkout/", form)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1


def test_the_poster_is_a_png_with_a_qr_code(shop, client):
    resp = client.get(f"/shop/p/{shop.product.pk}/poster.png")
    assert resp["Content-Type"] == "image/png"
    import io

    img = Image.open(io.BytesIO(resp.content))
    assert img.size == (750, 1100)
    import zxingcpp

    found = zxingcpp.read_barcodes(img)
    assert any(r.text.endswith(f"/shop/p/{shop.product.pk}/") for r in found)


def test_a_buyer_sees_only_their_own_orders(shop, personas, client_for, api_for):
    mine, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    other = Buyer.objects.create(user=personas.outsider, name="李四")
    theirs, _ = place_order(buyer=other, items=[Item(shop.product, 1)], address=ADDRESS)
    c = client_for(shop.buyer.user)
    assert c.get(f"/shop/orders/{mine.number}/").status_code == 200
    assert c.get(f"/shop/orders/{theirs.number}/").status_code == 404
    api = api_for(shop.buyer.user)
    numbers = [o["number"] for o in api.get("/api/orders/").json()["results"]]
    assert numbers == [mine.number]
    assert api.get(f"/api/orders/{theirs.number}/").status_code == 404


def test_managers_see_their_cooperatives_orders_only(shop, personas, api_for, client_for):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    assert api_for(personas.manager_a).get(f"/api/orders/{order.number}/").status_code == 200
    assert api_for(personas.manager_b).get(f"/api/orders/{order.number}/").status_code == 404
    assert client_for(personas.manager_b).get(f"/shop/manage/o/{order.number}/").status_code == 404
    assert client_for(personas.outsider).get("/shop/manage/").status_code == 403


def test_api_create_is_idempotent_by_header_and_refuses_overselling(shop, api_for):
    api = api_for(shop.buyer.user)
    body = {"items": [{"product": shop.product.pk, "boxes": 6}], **ADDRESS}
    first = api.post("/api/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = api.post("/api/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    refused = api.post("/api/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="def")
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "“绿壳鸡蛋 10枚装”库存不足：仅剩 4 盒。"
    products = api_for(None).get("/api/products/").json()["results"]
    assert products[0]["boxes_left"] == 4


def test_a_manager_packs_and_ships_from_the_order_page(shop, personas, client_for):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    m = client_for(personas.manager_a)
    url = f"/shop/manage/o/{order.number}/action/"
    m.post(url, {"action": "offline", "reference": "转账 001"})
    m.post(url, {"action": "pack"})
    page = m.post(url, {"action": "ship", "courier_company": "顺丰", "tracking_no": ""}, follow=True)
    assert "快递单号" in page.content.decode()
    m.post(url, {"action": "ship", "courier_company": "顺丰", "tracking_no": "SF100"})
    order.refresh_from_db()
    assert order.status == Order.SHIPPED
    assert "SF100" in m.get("/shop/manage/?status=shipped").content.decode() or order.tracking_no == "SF100"


def test_the_poster_still_renders_without_a_chinese_font(shop, client, monkeypatch, settings):
    from orders.services import posters as poster

    monkeypatch.setattr(poster, "FONT_CANDIDATES", [])
    settings.POSTER_FONT = "/nonexistent.ttf"
    assert poster.cjk_font_path() is None
    resp = client.get(f"/shop/p/{shop.product.pk}/poster.png")
    assert resp.status_code == 200 and resp.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_lock_timeout_answers_busy_try_again_and_sells_nothing(shop, api_for, client_for, monkeypatch):
    from coop.lib.locking import LockTimeout

    def busy(*keys):
        raise LockTimeout()

    monkeypatch.setattr("orders.services.orders.lock_keys", busy)
    resp = api_for(shop.buyer.user).post("/api/orders/", {"items": [{"product": shop.product.pk, "boxes": 1}],
                                                          **ADDRESS}, format="json")
    assert resp.status_code == 503 and resp["Retry-After"] == "1"
    assert resp.json()["error"]["code"] == "busy"
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    page = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k", **ADDRESS})
    assert "下单的人太多了，请稍后再试" in page.content.decode()
    assert not Order.objects.exists()
