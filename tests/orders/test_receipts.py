"""The order receipt (订单凭证, issue 17): a paid order's lines, courier fee, paid, refunded, the payment's
transaction id and the cooperative that sold it, as a page and a PDF with the Chinese font embedded; only the
buyer and the cooperative's staff may open it."""

from decimal import Decimal

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from orders.models import CourierFees
from orders.services import payments, receipts
from orders.services.orders import Item, place_order
from orders.services.programmes import counted_amounts
from tests.factories import ADDRESS, make_user
from tests.orders.pdftext import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop, personas):
    coop = personas.coop_a
    coop.address, coop.phone = "凉山州布拖县贺波洛乡尔吉村 1 号", "0834-1234567"
    coop.save()
    CourierFees.objects.create(cooperative=coop, default_fee=Decimal("8.00"))
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payments.record_offline_payment(order, reference="转账8899", user=personas.manager_a)
    part = payments.refund(order, out_refund_no="RC1", amount="5.00", reason="坏蛋赔付", user=personas.manager_a)
    payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="现金")
    order.refresh_from_db()
    return order


def page(resp):
    return resp.content.decode()


def test_the_receipt_shows_what_the_order_page_shows(order, client_for, personas):
    buyer = client_for(personas.buyer)
    assert f'href="/shop/orders/{order.number}/receipt/"' in page(buyer.get(f"/shop/orders/{order.number}/"))
    html = page(buyer.get(f"/shop/orders/{order.number}/receipt/"))
    assert "贺波洛乡合作社" in html and "凉山州布拖县贺波洛乡尔吉村 1 号" in html and "0834-1234567" in html
    assert order.number in html and "绿壳鸡蛋 10枚装" in html and "¥39.90" in html and "2 盒" in html
    assert "¥79.80" in html  # the line, and the goods
    assert 'id="receipt-fee">¥8.00<' in html
    assert 'id="receipt-paid">¥87.80<' in html and 'id="receipt-refunded">¥5.00<' in html
    net = counted_amounts([order])[order.pk]
    assert net == Decimal("82.80") and f'id="receipt-net"><b>¥{net}</b>' in html
    assert 'id="receipt-transaction">OFFLINE-转账8899<' in html
    assert "不是发票" in html


def test_the_pdf_embeds_the_shipped_font_and_prints_the_same_figures(order, client_for, personas, monkeypatch):
    resp = client_for(personas.buyer).get(f"/shop/orders/{order.number}/receipt.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    data = resp.content
    assert data.startswith(b"%PDF") and b"/FontFile2" in data and b"+WenQuanYiMicroHei" in data  # the subset, embedded
    assert b"STSong-Light" not in data
    # Read the words back: drawn in the CID font, whose strings pdf_text decodes (the embedded subset
    # re-encodes every glyph); the words are the same.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    monkeypatch.setattr(receipts, "FONT", "STSong-Light")
    text = pdf_text(receipts.render_pdf(receipts.receipt_of(order)))
    for words in ("订单凭证（收据）", "收款单位：贺波洛乡合作社", "电话：0834-1234567", f"订单号：{order.number}",
                  "¥39.90", "2 盒", "¥79.80", "¥8.00", "¥87.80", "¥5.00", "¥82.80", "支付交易号：OFFLINE-转账8899"):
        assert words in text, words


def test_only_the_buyer_and_the_cooperatives_staff_open_it(order, client_for, personas):
    for user in (personas.buyer, personas.manager_a, personas.inspector_a, personas.committee_a):
        for suffix in ("receipt/", "receipt.pdf"):
            assert client_for(user).get(f"/shop/orders/{order.number}/{suffix}").status_code == 200, (user, suffix)
    for user in (make_user("other_buyer"), personas.manager_b, personas.farmer_a.user):
        for suffix in ("receipt/", "receipt.pdf"):
            assert client_for(user).get(f"/shop/orders/{order.number}/{suffix}").status_code == 404, (user, suffix)
    anonymous = client_for(None).get(f"/shop/orders/{order.number}/receipt/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/shop/login/")


def test_an_unpaid_order_has_no_receipt(shop, client_for, personas):
    unpaid, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    buyer = client_for(personas.buyer)
    assert buyer.get(f"/shop/orders/{unpaid.number}/receipt/").status_code == 404
    assert buyer.get(f"/shop/orders/{unpaid.number}/receipt.pdf").status_code == 404
    assert 'id="receipt-link"' not in page(buyer.get(f"/shop/orders/{unpaid.number}/"))
