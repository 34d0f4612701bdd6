"""Issue 17: recipient phones validated and stored normalised; the buyer's note (留言) shown and escaped;
over-long recipient, address and note refused with a message instead of cut short."""

import pytest

from coop.lib.validators import InvalidPhone, normalize_mobile, normalize_phone
from orders.models import Address, Order, OrderError
from orders.services import payments
from orders.services.buyers import AddressError, add_address
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS

ZHAOJUE = {"province": "51", "city": "5134", "district": "513431"}  # 四川省凉山彝族自治州昭觉县
XSS = '<script>alert("x")</script>请放门卫'


@pytest.mark.parametrize("typed, stored", [
    ("13800001234", "13800001234"),
    ("+86 138-0000-1234", "13800001234"),
    ("0086 13800001234", "13800001234"),
    ("１３８００００１２３４", "13800001234"),  # a Chinese keyboard in full-width mode
    ("010-12345678", "010-12345678"),
    ("(0834) 2123456", "0834-2123456"),  # 西昌's area code, in brackets
    ("028 8765 4321", "028-87654321"),
])
def test_it_normalises_mainland_mobiles_and_landlines(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12", "abc", "", "   ", "12345678", "400-123-4567", "+1 650 253 0000",
                                   "1380000123", "138000012345", "1" * 500])
def test_it_refuses_what_is_no_mainland_phone_with_a_chinese_message(typed):
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone(typed)
    assert exc.value.field == "phone"
    assert "电话" in exc.value.message


def test_normalize_mobile_reads_full_width_digits():
    assert normalize_mobile("１３８ ００００ １２３４") == "13800001234"


# --- Checkout ----------------------------------------------------------------------------------

def _checkout(shop, client_for, **fields):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    return c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k-1", **{**ADDRESS, **fields}})


def test_checkout_refuses_the_phone_12_beside_the_field_and_places_nothing(shop, client_for):
    page = _checkout(shop, client_for, phone="12")
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="phone-error"' in html and "“12”不是有效的电话号码" in html
    assert 'value="12"' in html  # what was typed is kept for correcting
    assert Order.objects.count() == 0


def test_checkout_stores_the_phone_normalised(shop, client_for):
    resp = _checkout(shop, client_for, phone="＋８６ １３８-００００-１２３４")
    assert resp.status_code == 302
    assert Order.objects.get().phone == "13800001234"


def test_place_order_refuses_a_bad_phone_and_an_over_long_recipient_address_or_note(shop):
    def place(address=ADDRESS, note=""):
        return place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=address, note=note)

    with pytest.raises(OrderError) as exc:
        place({**ADDRESS, "phone": "abc"})
    assert exc.value.field == "phone"
    for field, value in (("recipient", "张" * 31), ("address", "路" * 261)):
        with pytest.raises(OrderError) as exc:
            place({**ADDRESS, field: value})
        assert exc.value.field == field and "最多" in exc.value.message
    with pytest.raises(OrderError) as exc:
        place(note="蛋" * 201)
    assert exc.value.field == "note" and "留言最多 200 个字" in exc.value.message
    assert Order.objects.count() == 0
    order, _ = place(note="蛋" * 200)  # the limit itself is allowed, and stored whole
    assert len(order.note) == 200


def test_the_checkout_inputs_carry_their_maxlength(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    html = c.get("/shop/checkout/").content.decode()
    for name, n in (("recipient", 30), ("phone", 20), ("address", 260), ("note", 200)):
        assert f'name="{name}"' in html
        assert f'id="{name}" name="{name}" value="' in html and f'maxlength="{n}"' in html
    assert html.count("maxlength=") >= 4


def test_the_api_refuses_a_bad_recipient_phone_with_the_field_named(shop, api_for, personas):
    resp = api_for(personas.buyer).post("/api/orders/", {"items": [{"product": shop.product.pk, "boxes": 1}],
                                                         **ADDRESS, "phone": "12"}, format="json")
    assert resp.status_code == 400
    body = resp.json()["error"]
    assert body["code"] == "invalid_phone" and "“12”不是有效的电话号码" in body["fields"]["phone"][0]
    assert Order.objects.count() == 0


# --- The address book ----------------------------------------------------------------------------

def test_the_address_book_refuses_abc_as_a_phone_beside_the_field(shop, client_for):
    c = client_for(shop.buyer.user)
    page = c.post("/shop/me/", {"action": "address", "recipient": "张三", "phone": "abc", **ZHAOJUE,
                                "detail": "西昌市某村 1 号"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="a-phone-error"' in html and "“abc”不是有效的电话号码" in html
    assert 'value="西昌市某村 1 号"' in html
    assert not Address.objects.exists()


def test_the_address_book_stores_the_phone_normalised_and_the_first_is_default(shop, client_for):
    c = client_for(shop.buyer.user)
    resp = c.post("/shop/me/", {"action": "address", "recipient": "张三", "phone": "0834-212 3456",
                                **ZHAOJUE, "detail": "西昌市某村 1 号"})
    assert resp.status_code == 302
    address = Address.objects.get()
    assert address.phone == "0834-2123456" and address.is_default


def test_add_address_refuses_over_long_and_missing_fields(shop):
    ok = {"recipient": "张三", "phone": "13800001234", **ZHAOJUE, "detail": "某村 1 号"}
    for field, value in (("recipient", "张" * 31), ("detail", "路" * 201), ("detail", " ")):
        with pytest.raises(AddressError) as exc:
            add_address(shop.buyer, **{**ok, field: value})
        assert exc.value.field == field
    assert not Address.objects.exists()
    assert add_address(shop.buyer, **ok).is_default


def test_the_profile_address_inputs_carry_their_maxlength(shop, client_for):
    html = client_for(shop.buyer.user).get("/shop/me/").content.decode()
    for name, n in (("recipient", 30), ("phone", 20), ("detail", 200)):
        assert f'id="a-{name}" name="{name}" value="" maxlength="{n}"' in html


# --- The buyer's note --------------------------------------------------------------------------

def test_the_note_is_shown_escaped_to_the_buyer_the_manager_the_packer_and_in_the_admin(shop, personas,
                                                                                       client_for):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS, note=XSS)
    payments.record_offline_payment(order, reference="转账-1", user=personas.manager_a)
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;请放门卫"
    pages = {
        "buyer": client_for(shop.buyer.user).get(f"/shop/orders/{order.number}/"),
        "manager": client_for(personas.manager_a).get(f"/shop/manage/o/{order.number}/"),
        "packing": client_for(personas.manager_a).get("/shop/manage/packing/"),
        "admin": client_for(personas.manager_a).get(f"/admin/orders/order/{order.pk}/change/"),
        "admin list": client_for(personas.manager_a).get("/admin/orders/order/"),
    }
    for name, page in pages.items():
        html = page.content.decode()
        assert page.status_code == 200, name
        assert '<script>alert("x")' not in html, name
        assert "&lt;script&gt;alert" in html, name  # the admin's list shows the note's first 20 characters
    for name in ("buyer", "manager", "packing", "admin"):
        assert escaped in pages[name].content.decode(), name


def test_staff_cannot_save_a_bad_phone_in_the_admin(shop, personas, client_for):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    c = client_for(personas.manager_a)
    page = c.post(f"/admin/orders/order/{order.pk}/change/", {
        "recipient": "李四", "phone": "12", "address": ADDRESS["address"],
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0"})
    assert page.status_code == 200 and "不是有效的电话号码" in page.content.decode()
    order.refresh_from_db()
    assert order.recipient == ADDRESS["recipient"] and order.phone == ADDRESS["phone"]
    saved = c.post(f"/admin/orders/order/{order.pk}/change/", {
        "recipient": "李四", "phone": "+86 0834 212 3456", "address": ADDRESS["address"],
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0"})
    assert saved.status_code == 302
    order.refresh_from_db()
    assert order.recipient == "李四" and order.phone == "0834-2123456"
