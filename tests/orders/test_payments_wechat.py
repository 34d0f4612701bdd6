"""The real WeChat Pay provider (wechatpayv3 over HTTP) against the local APIv3 server: the shop journey and
every notification that must not be believed."""

import base64
import datetime
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from coop.models import AuditEvent
from orders.models import Order, Payment, PaymentNotification, Refund
from orders.services import payments
from orders.services.orders import Item, cancel_unpaid, place_order
from orders.services.payments.base import Payer, ProviderError
from tests.factories import ADDRESS, MCHID, pem_private, start_local_wechat
from tests.factories import WECHAT_APPID as APPID

NOTIFY = "/api/payments/notify/wechat/"
WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.50 NetType/4G"
@pytest.fixture(params=["public_key", "certificate"])
def wechat(request, settings, tmp_path):
    api = start_local_wechat(settings, tmp_path, mode=request.param)
    yield api
    api.stop()


@pytest.fixture
def wechat_pk(settings, tmp_path):
    api = start_local_wechat(settings, tmp_path)
    yield api
    api.stop()


@pytest.fixture
def order(shop):
    shop.buyer.wechat_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    shop.buyer.save()
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    return order


def post(client, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(NOTIFY, data=body, content_type="application/json", **extra)


def jsapi(order):
    return payments.start_payment(order, payer=Payer("jsapi", openid=order.buyer.wechat_openid))


def nothing_changed(order, payment):
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT and order.paid_at is None
    assert payment.status == Payment.CREATED and payment.transaction_id == ""
    assert not AuditEvent.objects.filter(action="payment.succeeded").exists()
    assert PaymentNotification.objects.filter(accepted=True).count() == 0


# --- the journey --------------------------------------------------------------------------------

def test_it_pays_and_refunds_an_order_through_the_real_provider(client_for, personas, wechat, order):
    buyer = client_for(personas.buyer)
    page = buyer.post(f"/shop/orders/{order.number}/pay/", HTTP_USER_AGENT=WECHAT_UA)
    assert page.status_code == 200
    params = page.context["data"]["jsapi"]
    payment = order.payments.get()
    assert wechat.transactions[payment.out_trade_no]["payer"] == {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
    assert params["package"] == "prepay_id=" + wechat.transactions[payment.out_trade_no]["_prepay_id"]
    # paySign is the merchant's RSA signature WeChat checks when the page invokes getBrandWCPayRequest.
    message = f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    wechat.merchant_private_key.public_key().verify(base64.b64decode(params["paySign"]), message,
                                                    padding.PKCS1v15(), hashes.SHA256())
    assert b'id="wxpay-jsapi"' in page.content and b"wechat-pay.js" in page.content

    wechat.pay(payment.out_trade_no)
    resp = post(client_for(), *wechat.transaction_notification(payment.out_trade_no))
    assert resp.status_code == 200 and resp.json()["code"] == "SUCCESS"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.PAID
    assert payment.transaction_id == wechat.transactions[payment.out_trade_no]["transaction_id"]

    row = payments.refund(order, out_refund_no=f"R{order.number}", reason="鸡蛋破损")
    assert row.status == Refund.PROCESSING  # WeChat answers PROCESSING; the money arrives later
    order.refresh_from_db()
    assert order.status == Order.REFUND_PENDING
    assert wechat.refunds[row.out_refund_no]["amount"]["refund"] == payment.amount_fen

    wechat.settle_refund(row.out_refund_no)
    resp = post(client_for(), *wechat.refund_notification(row.out_refund_no))
    assert resp.status_code == 200, resp.json()
    row.refresh_from_db()
    order.refresh_from_db()
    assert row.status == Refund.SUCCEEDED and row.succeeded_at is not None
    assert order.status == Order.REFUNDED
    # the same refund notification again changes nothing
    assert post(client_for(), *wechat.refund_notification(row.out_refund_no)).status_code == 200
    assert order.history.filter(to_status=Order.REFUNDED).count() == 1


def test_it_asks_wechat_when_the_buyer_comes_back_before_the_notification(client_for, personas, wechat_pk, order):
    payment, _data = jsapi(order)
    buyer = client_for(personas.buyer)
    buyer.get(f"/shop/orders/{order.number}/")
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT  # not paid at WeChat: the return alone pays nothing
    wechat_pk.pay(payment.out_trade_no)
    assert buyer.get(f"/shop/orders/{order.number}/").status_code == 200
    order.refresh_from_db()
    assert order.status == Order.PAID
    assert ("GET", f"/v3/pay/transactions/out-trade-no/{payment.out_trade_no}?mchid={MCHID}") in wechat_pk.requests
    assert AuditEvent.objects.get(action="payment.succeeded").data["source"] == "query"


def test_a_query_answer_about_another_merchant_pays_nothing(client_for, personas, wechat_pk, order):
    payment, _data = jsapi(order)
    wechat_pk.pay(payment.out_trade_no)
    wechat_pk.transactions[payment.out_trade_no]["mchid"] = "1999999999"
    assert client_for(personas.buyer).get(f"/shop/orders/{order.number}/").status_code == 200
    nothing_changed(order, payment)


def test_native_and_h5_open_their_own_transactions(client_for, personas, wechat_pk, order):
    buyer = client_for(personas.buyer)
    page = buyer.post(f"/shop/orders/{order.number}/pay/",
                      HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120")
    assert page.status_code == 200 and page.context["data"]["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert b"<svg" in page.content and b"<path" in page.content  # the QR code, drawn by the server
    assert wechat_pk.requests[-1] == ("POST", "/v3/pay/transactions/native")

    other, _ = place_order(buyer=order.buyer, items=[Item(order.lines.get().product, 1)], address=ADDRESS)
    resp = buyer.post(f"/shop/orders/{other.number}/pay/", REMOTE_ADDR="203.0.113.7",
                      HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36")
    assert resp.status_code == 302
    assert resp["Location"].startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=")
    assert "redirect_url=http%3A%2F%2Ftestserver%2Fshop%2Forders%2F" in resp["Location"]
    txn = wechat_pk.transactions[other.payments.get().out_trade_no]
    assert txn["trade_type"] == "MWEB" and wechat_pk.requests[-1] == ("POST", "/v3/pay/transactions/h5")


def test_jsapi_without_a_wechat_sign_in_says_so(client_for, personas, wechat_pk, order):
    order.buyer.wechat_openid = None
    order.buyer.save()
    resp = client_for(personas.buyer).post(f"/shop/orders/{order.number}/pay/", HTTP_USER_AGENT=WECHAT_UA,
                                           follow=True)
    assert "请在微信里打开商城并用微信登录后再付款" in resp.content.decode()
    assert not wechat_pk.transactions


def test_an_unpaid_order_is_closed_at_wechat_when_it_times_out(wechat_pk, order):
    payment, _data = jsapi(order)
    assert cancel_unpaid(now=order.pay_by + datetime.timedelta(minutes=1)) == 1
    assert wechat_pk.transactions[payment.out_trade_no]["trade_state"] == "CLOSED"
    payment.refresh_from_db()
    assert payment.status == Payment.CLOSED
    with pytest.raises(Exception, match="CLOSED"):
        wechat_pk.pay(payment.out_trade_no)  # the buyer can no longer pay a cancelled order


def test_the_same_refund_number_refunds_once_and_a_lost_refund_notification_is_recovered_by_query(
        wechat_pk, order):
    payment, _data = jsapi(order)
    wechat_pk.pay(payment.out_trade_no)
    payments.sync_payment(payment)
    first = payments.refund(order, out_refund_no="RF1", reason="少了一盒", amount="39.90")
    again = payments.refund(order, out_refund_no="RF1", reason="少了一盒", amount="39.90")
    assert first.pk == again.pk and len(wechat_pk.refunds) == 1
    wechat_pk.settle_refund("RF1")
    payments.sync_refund(first)  # the notification never came: the order page asks
    first.refresh_from_db()
    assert first.status == Refund.SUCCEEDED
    order.refresh_from_db()
    assert order.status == Order.PAID  # a partial refund leaves the order paid


def test_requests_are_really_signed_a_wrong_merchant_key_is_refused(settings, wechat_pk, order, tmp_path):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "other.pem").write_text(pem_private(other))
    settings.WECHATPAY_PRIVATE_KEY_FILE = str(tmp_path / "other.pem")
    with pytest.raises(ProviderError, match="SIGN_ERROR"):
        jsapi(order)
    assert not wechat_pk.transactions


# --- notifications that must not be believed ---------------------------------------------------

@pytest.fixture
def paid_at_wechat(wechat_pk, order):
    payment, _data = jsapi(order)
    wechat_pk.pay(payment.out_trade_no)
    return payment


def test_a_forged_notification_is_refused(client_for, wechat_pk, order, paid_at_wechat):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    resp = post(client_for(), *wechat_pk.transaction_notification(paid_at_wechat.out_trade_no, key=forger))
    assert resp.status_code == 401 and resp.json()["code"] == "FAIL"
    nothing_changed(order, paid_at_wechat)
    assert PaymentNotification.objects.get().outcome.startswith("rejected: signature")


def test_a_tampered_body_is_refused(client_for, wechat_pk, order, paid_at_wechat):
    headers, body = wechat_pk.transaction_notification(paid_at_wechat.out_trade_no)
    envelope = json.loads(body)
    envelope["summary"] = "改过"
    assert post(client_for(), headers, json.dumps(envelope, ensure_ascii=False)).status_code == 401
    nothing_changed(order, paid_at_wechat)


@pytest.mark.parametrize("override, reason", [
    ({"mchid": "1999999999"}, "mchid is not ours"),
    ({"appid": "wx0000000000000000"}, "appid is not ours"),
    ({"amount": {"total": 1, "payer_total": 1, "currency": "CNY", "payer_currency": "CNY"}}, "amount mismatch"),
    ({"amount": {"total": 7980, "payer_total": 7980, "currency": "USD", "payer_currency": "USD"}},
     "currency is not CNY"),
])
def test_a_genuinely_signed_notification_for_someone_else_or_another_amount_pays_nothing(
        client_for, wechat_pk, order, paid_at_wechat, override, reason):
    resp = post(client_for(), *wechat_pk.transaction_notification(paid_at_wechat.out_trade_no, override=override))
    assert resp.status_code == 400 and resp.json()["code"] == "FAIL"
    nothing_changed(order, paid_at_wechat)
    assert reason in PaymentNotification.objects.get().outcome


def test_a_replayed_old_notification_is_refused(client_for, wechat_pk, order, paid_at_wechat):
    captured = wechat_pk.transaction_notification(paid_at_wechat.out_trade_no, timestamp=int(time.time()) - 3600)
    resp = post(client_for(), *captured)
    assert resp.status_code == 401
    nothing_changed(order, paid_at_wechat)
    assert PaymentNotification.objects.get().outcome == "rejected: stale timestamp"


def test_a_notification_replayed_at_once_is_answered_and_pays_once(client_for, wechat_pk, order, paid_at_wechat):
    signed = wechat_pk.transaction_notification(paid_at_wechat.out_trade_no)
    assert post(client_for(), *signed).status_code == 200
    assert post(client_for(), *signed).status_code == 200
    assert order.history.filter(to_status=Order.PAID).count() == 1
    assert AuditEvent.objects.filter(action="payment.succeeded").count() == 1
    assert not Refund.objects.exists()


def test_a_refund_notification_for_a_different_amount_changes_nothing(client_for, wechat_pk, order,
                                                                       paid_at_wechat):
    payments.sync_payment(paid_at_wechat)
    order.refresh_from_db()
    row = payments.refund(order, out_refund_no="RF9", reason="鸡蛋破损")
    wechat_pk.settle_refund("RF9")
    resp = post(client_for(), *wechat_pk.refund_notification(
        "RF9", override={"amount": {"total": 7980, "refund": 1, "payer_total": 7980, "payer_refund": 1}}))
    assert resp.status_code == 400
    resp = post(client_for(), *wechat_pk.refund_notification("RF9", override={"mchid": "1999999999"}))
    assert resp.status_code == 400
    row.refresh_from_db()
    order.refresh_from_db()
    assert row.status == Refund.PROCESSING and order.status == Order.REFUND_PENDING


def test_the_buyer_opening_a_refunding_order_asks_wechat_about_the_refund(client_for, personas, wechat_pk, order):
    payment, _data = jsapi(order)
    wechat_pk.pay(payment.out_trade_no)
    payments.sync_payment(payment)
    order.refresh_from_db()
    row = payments.refund(order, out_refund_no="RF5", reason="鸡蛋破损")
    buyer = client_for(personas.buyer)
    buyer.get(f"/shop/orders/{order.number}/")
    row.refresh_from_db()
    assert row.status == Refund.PROCESSING  # WeChat has not paid it back yet
    wechat_pk.settle_refund("RF5")  # ... now it has; its notification is lost
    assert buyer.get(f"/shop/orders/{order.number}/").status_code == 200
    row.refresh_from_db()
    order.refresh_from_db()
    assert row.status == Refund.SUCCEEDED and order.status == Order.REFUNDED
    assert AuditEvent.objects.get(action="refund.succeeded").data["source"] == "query"


def test_a_notification_naming_another_key_is_refused_without_asking_wechat(client_for, wechat_pk, order,
                                                                              paid_at_wechat):
    seen = len(wechat_pk.requests)
    headers, body = wechat_pk.transaction_notification(paid_at_wechat.out_trade_no)
    headers["Wechatpay-Serial"] = "PUB_KEY_ID_0000000000000000000000000000"
    assert post(client_for(), headers, body).status_code == 401
    nothing_changed(order, paid_at_wechat)
    assert len(wechat_pk.requests) == seen  # no certificate download triggered by a stranger
