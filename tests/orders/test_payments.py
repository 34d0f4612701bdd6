"""Payments through the WeChat-Pay-shaped sandbox: the happy path and every kind of tampering."""

import base64
import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from coop.models import AuditEvent
from orders.models import Order, OrderError, Payment, PaymentNotification, Refund, SandboxTransaction
from orders.services import payments
from orders.services.orders import Item, cancel_unpaid, place_order
from orders.services.payments.sandbox import SandboxPlatform
from tests.factories import ADDRESS

NOTIFY = "/api/payments/notify/sandbox/"


@pytest.fixture
def pending(shop):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payment, data = payments.start_payment(order, provider_name="sandbox")
    return order, payment, data


def paid_at_platform(payment, **kw):
    """The buyer pays on the sandbox platform; returns its signed notification (not yet delivered)."""
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(
        trade_state="SUCCESS", success_time=timezone.now(), payer_openid="o-test")
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    return SandboxPlatform().build_notification(txn, **kw)


def post(client, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(NOTIFY, data=body, content_type="application/json", **extra)


def test_start_payment_uses_fen_and_a_merchant_order_number(pending):
    order, payment, data = pending
    assert payment.amount_fen == 7980
    assert 6 <= len(payment.out_trade_no) <= 32
    assert data["pay_url"] == reverse("shop:sandbox-cashier", args=[payment.out_trade_no])
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    assert txn.amount_total == 7980 and txn.trade_state == "NOTPAY"


def test_a_signed_notification_pays_the_order_and_answers_success(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    envelope = json.loads(body)
    assert envelope["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    assert "out_trade_no" not in body  # the transaction is only inside the encrypted resource
    resp = post(client, headers, body)
    assert resp.status_code == 200
    assert resp.json() == {"code": "SUCCESS", "message": "成功"}
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.PAID and order.paid_at is not None
    assert payment.status == Payment.SUCCEEDED and payment.transaction_id.startswith("4200")


def test_a_replayed_notification_is_acknowledged_and_changes_nothing(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    assert post(client, headers, body).status_code == 200
    assert post(client, headers, body).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.PAID
    assert order.history.filter(to_status=Order.PAID).count() == 1
    assert PaymentNotification.objects.filter(outcome__startswith="replay").count() == 1
    assert not Refund.objects.exists()


def test_a_bad_signature_is_refused(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    headers["Wechatpay-Signature"] = base64.b64encode(b"x" * 256).decode()
    resp = post(client, headers, body)
    assert resp.status_code == 401 and resp.json()["code"] == "FAIL"
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_a_body_changed_after_signing_is_refused(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    tampered = body.replace("支付成功", "支付成功 ")
    assert post(client, headers, tampered).status_code == 401
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_an_unknown_certificate_serial_is_refused(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    headers["Wechatpay-Serial"] = "0" * 40
    assert post(client, headers, body).status_code == 401


def test_a_stale_timestamp_is_refused(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment, now=timezone.now() - datetime.timedelta(minutes=6))
    resp = post(client, headers, body)
    assert resp.status_code == 401
    assert PaymentNotification.objects.get().outcome == "rejected: stale timestamp"
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_a_wrong_amount_is_refused(client, pending):
    order, payment, _ = pending
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    resource = SandboxPlatform().transaction_resource(txn)
    resource.update(trade_state="SUCCESS", amount={"total": 1, "payer_total": 1, "currency": "CNY"})
    headers, body = SandboxPlatform().build_notification(txn, resource=resource)
    resp = post(client, headers, body)
    assert resp.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_a_notification_for_an_unknown_order_is_harmless(client, pending):
    order, payment, _ = pending
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    resource = SandboxPlatform().transaction_resource(txn)
    resource.update(trade_state="SUCCESS", out_trade_no="NOSUCHORDER123")
    headers, body = SandboxPlatform().build_notification(txn, resource=resource)
    assert post(client, headers, body).status_code == 404
    assert Order.objects.filter(status=Order.PAID).count() == 0


def test_a_payment_after_the_timeout_cancelled_the_order_is_refunded(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)  # the buyer paid just before the close reached the platform
    cancel_unpaid(now=timezone.now() + datetime.timedelta(minutes=31))
    order.refresh_from_db()
    assert order.status == Order.CANCELLED
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(trade_state="SUCCESS")
    assert post(client, headers, body).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.CANCELLED
    refund = Refund.objects.get(order=order)
    assert refund.amount_fen == 7980 and refund.status == Refund.SUCCEEDED
    assert SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no).refunded_fen == 7980
    # The platform retries: still one refund.
    assert post(client, headers, body).status_code == 200
    assert Refund.objects.count() == 1


def test_the_cashier_page_pays_and_the_notification_arrives(client_for, shop, pending,
                                                           django_capture_on_commit_callbacks):
    order, payment, data = pending
    c = client_for(shop.buyer.user)
    page = c.get(data["pay_url"])
    assert "¥79.80" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(data["pay_url"], {"action": "pay"})
    assert resp.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.PAID
    assert SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no).notified_ok_at is not None


def test_refunds_are_idempotent_by_out_refund_no(pending, personas):
    """Also: a buyer back from the cashier before the notification sees the order paid (query)."""
    order, payment, _ = pending
    payments.sync_payment(payment)  # nothing paid yet: still open
    assert Order.objects.get(pk=order.pk).status == Order.PENDING_PAYMENT
    SandboxPlatform().pay(payment.out_trade_no, openid="o-x")  # notification not delivered (no commit)
    payments.sync_payment(payment)  # the buyer came back first: the query finds the payment
    order.refresh_from_db()
    assert order.status == Order.PAID
    part = payments.refund(order, out_refund_no="BAD-1", amount="10.00", reason="坏蛋赔付", user=personas.manager_a)
    again = payments.refund(order, out_refund_no="BAD-1", amount="10.00", reason="坏蛋赔付")
    assert part.pk == again.pk and part.amount_fen == 1000
    order.refresh_from_db()
    assert order.status == Order.PAID  # a partial refund (compensation) leaves the order as it is
    with pytest.raises(OrderError):
        payments.refund(order, out_refund_no="BAD-2", amount="70.00", reason="太多")
    full = payments.refund(order, out_refund_no="ALL-1", reason="买家申请退款")
    assert full.amount_fen == 6980
    order.refresh_from_db()
    assert order.status == Order.REFUNDED
    assert list(order.history.values_list("to_status", flat=True))[-2:] == [Order.REFUND_PENDING, Order.REFUNDED]


def test_a_manager_records_an_offline_transfer_once(pending, personas):
    order, payment, _ = pending
    with pytest.raises(OrderError):
        payments.record_offline_payment(order, reference="", user=personas.manager_a)
    p = payments.record_offline_payment(order, reference="农行转账 8812", user=personas.manager_a)
    assert p.provider == Payment.OFFLINE and p.status == Payment.SUCCEEDED
    order.refresh_from_db()
    assert order.status == Order.PAID
    with pytest.raises(OrderError):
        payments.record_offline_payment(order, reference="again", user=personas.manager_a)


def test_a_resource_encrypted_with_another_key_is_refused(client, pending, settings):
    order, payment, _ = pending
    from orders.services.payments import sandbox

    settings.WECHATPAY_SANDBOX_APIV3_KEY = "x" * 32  # the platform encrypts with a wrong key
    headers, body = paid_at_platform(payment)
    settings.WECHATPAY_SANDBOX_APIV3_KEY = ""
    assert sandbox.apiv3_key() != b"x" * 32
    resp = post(client, headers, body)
    assert resp.status_code == 400
    assert PaymentNotification.objects.get().outcome == "rejected: resource cannot be decrypted"
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_an_unknown_provider_or_missing_headers_change_nothing(client, pending):
    order, payment, _ = pending
    headers, body = paid_at_platform(payment)
    assert client.post("/api/payments/notify/alipay/", data=body, content_type="application/json").status_code == 400
    # the real WeChat slot is not configured here: refused, not a server error
    assert client.post("/api/payments/notify/wechat/", data=body, content_type="application/json").status_code == 400
    assert client.post(NOTIFY, data=body, content_type="application/json").status_code == 401
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT


def test_an_offline_refund_waits_until_a_manager_confirms_the_money_went_out(pending, personas, client_for):
    order, _payment, _ = pending
    payments.record_offline_payment(order, reference="农行转账 8812", user=personas.manager_a)
    part = payments.refund(order, out_refund_no="OFF-1", amount="10.00", reason="坏蛋赔付", user=personas.manager_a)
    assert part.status == Refund.AWAITING_OFFLINE and part.get_status_display() == "待线下退款"
    # The waiting refund already counts: what is left is ¥69.80, not ¥79.80.
    with pytest.raises(OrderError, match="69.8"):
        payments.refund(order, out_refund_no="OFF-2", amount="79.80", reason="太多")
    full = payments.refund(order, out_refund_no="OFF-3", reason="买家申请退款", user=personas.manager_a)
    assert full.amount_fen == 6980 and full.status == Refund.AWAITING_OFFLINE
    order.refresh_from_db()
    assert order.status == Order.REFUND_PENDING  # not "refunded" before the money is handed back

    manager = client_for(personas.manager_a)
    url = reverse("shop:manage-order-action", args=[order.number])
    page = manager.get(reverse("shop:manage-order", args=[order.number])).content.decode()
    assert "确认已线下退款" in page
    resp = manager.post(url, {"action": "confirm_refund", "refund": full.pk, "confirmation": ""}, follow=True)
    assert "请填写退款凭证号或说明" in resp.content.decode()
    assert Refund.objects.get(pk=full.pk).status == Refund.AWAITING_OFFLINE
    # A buyer cannot confirm (nor reach the managers' page at all).
    client_for(personas.buyer).post(url, {"action": "confirm_refund", "refund": full.pk, "confirmation": "x"})
    assert Refund.objects.get(pk=full.pk).status == Refund.AWAITING_OFFLINE

    manager.post(url, {"action": "confirm_refund", "refund": full.pk, "confirmation": "现金当面退还"})
    full.refresh_from_db()
    assert full.status == Refund.SUCCEEDED and full.confirmed_by == personas.manager_a
    assert full.confirmation == "现金当面退还" and full.succeeded_at is not None
    order.refresh_from_db()
    assert order.status == Order.REFUND_PENDING  # ¥10 of the payment is still waiting to be handed back
    payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="微信转账")
    order.refresh_from_db()
    assert order.status == Order.REFUNDED
    confirmed = AuditEvent.objects.filter(action="refund.confirmed", object_id=str(order.pk))
    assert sorted(e.reason for e in confirmed) == ["微信转账", "现金当面退还"]
    assert {e.actor for e in confirmed} == {personas.manager_a}
    with pytest.raises(OrderError) as second:
        payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="again")
    assert second.value.status == 409


def test_the_admin_confirms_offline_refunds_for_its_own_cooperative_only(pending, personas, client_for):
    order, _payment, _ = pending
    payments.record_offline_payment(order, reference="农行转账 8812", user=personas.manager_a)
    row = payments.refund(order, out_refund_no="OFF-9", reason="买家申请退款", user=personas.manager_a)
    url = reverse("admin:orders_refund_changelist")
    data = {"action": "confirm_offline", "_selected_action": [row.pk], "confirm": "1", "value": "银行转账 0042"}
    client_for(personas.manager_b).post(url, data)  # another cooperative's manager: not their row
    assert Refund.objects.get(pk=row.pk).status == Refund.AWAITING_OFFLINE
    client_for(personas.manager_a).post(url, data)
    row.refresh_from_db()
    assert row.status == Refund.SUCCEEDED and row.confirmation == "银行转账 0042"
    assert Order.objects.get(pk=order.pk).status == Order.REFUNDED
