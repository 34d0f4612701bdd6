"""No fake money in production: with DEBUG off and no demo flag the sandbox takes no payment.

Tried as an operator would: the settings refuse to start a sandbox without ``DEMO_MODE``, ``check
--deploy`` reports a sandbox with DEBUG off, a demo says so on every shop page, and — even if the
sandbox setting were flipped at run time — no request marks an order paid without a verified
notification or a manager's offline record.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Payment, PaymentNotification, SandboxTransaction
from orders.services import payments
from orders.services.orders import Item, place_order
from orders.services.payments.sandbox import SandboxPlatform
from tests.factories import ADDRESS

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coop.settings'); django.setup()"
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-1234567890",
              "SITE_URL": "https://eggs.example.cn", "ALLOWED_HOSTS": "eggs.example.cn"}


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "PAYMENT_PROVIDER", "DEMO_MODE")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_it_refuses_to_start_the_sandbox_in_production_without_the_demo_flag():
    result = run_python(SETUP, PAYMENT_PROVIDER="sandbox", **PRODUCTION)
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER=sandbox moves no money" in result.stderr and "DEMO_MODE=true" in result.stderr


def test_production_defaults_to_no_online_payment_rather_than_the_sandbox():
    result = run_python(SETUP + "; from django.conf import settings; print(repr(settings.PAYMENT_PROVIDER))",
                        **PRODUCTION)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "''"


def test_deploy_check_reports_a_sandbox_with_debug_off_even_on_a_demo():
    result = run_python(SETUP + "; from django.core.management import call_command; "
                        "call_command('check', '--deploy')", PAYMENT_PROVIDER="sandbox", DEMO_MODE="true",
                        **PRODUCTION)
    assert result.returncode != 0
    assert "greenshell.E001" in result.stderr and "no money moves" in result.stderr


@pytest.fixture
def opened(shop):
    """A pending order with a sandbox payment opened while the site still was a demo."""
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payment, _data = payments.start_payment(order, provider_name="sandbox")
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(
        trade_state="SUCCESS", success_time=timezone.now(), payer_openid="o-test")
    signed = SandboxPlatform().build_notification(SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no))
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(trade_state="NOTPAY")
    return order, payment, signed


@pytest.mark.parametrize("provider", ["sandbox", ""])
@pytest.mark.django_db
def test_without_the_demo_flag_no_request_marks_an_order_paid(opened, personas, client_for, api_for, settings,
                                                              provider):
    order, payment, (headers, body) = opened
    settings.DEBUG, settings.DEMO_MODE, settings.PAYMENT_PROVIDER = False, False, provider
    buyer = client_for(personas.buyer)

    # The sandbox cashier is gone: posting action=pay does nothing.
    assert buyer.post(reverse("shop:sandbox-cashier", args=[payment.out_trade_no]),
                      {"action": "pay"}).status_code == 404
    assert SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no).trade_state == "NOTPAY"
    # Starting a payment is refused with a clear message, on the page and in the API.
    resp = buyer.post(reverse("shop:order-pay", args=[order.number]), follow=True)
    assert resp.status_code == 200
    page = resp.content.decode()
    assert ("演示支付已关闭" in page) if provider else ("暂未开通在线支付" in page)
    api = api_for(personas.buyer).post(f"/api/orders/{order.number}/pay/")
    assert api.status_code in (400, 503) and api.json()["error"]["message"]
    # The order page (which asks the platform about open payments) still answers; without any online
    # provider it offers no pay button but says how to pay.
    shown = buyer.get(reverse("shop:order", args=[order.number]))
    assert shown.status_code == 200
    assert ('id="pay"' in shown.content.decode()) == bool(provider)
    assert ("暂未开通在线支付" in shown.content.decode()) == (not provider)
    # Even a notification the sandbox signed is not believed on a site that is not a demo.
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    notified = buyer.post("/api/payments/notify/sandbox/", data=body, content_type="application/json", **extra)
    assert notified.status_code == 400
    assert PaymentNotification.objects.get().accepted is False
    # A buyer cannot record an offline transfer for themselves.
    buyer.post(reverse("shop:manage-order-action", args=[order.number]), {"action": "offline", "reference": "x"})
    order.refresh_from_db()
    assert order.status == Order.PENDING_PAYMENT
    assert not Payment.objects.filter(status=Payment.SUCCEEDED).exists()
    # Cancelling the unpaid order still works with the sandbox switched off.
    payments.close_payment(payment)
    assert Payment.objects.get(pk=payment.pk).status == Payment.CLOSED

    # What still pays an order: a manager's record of the transfer.
    client_for(personas.manager_a).post(reverse("shop:manage-order-action", args=[order.number]),
                                        {"action": "offline", "reference": "农行转账 8812"})
    order.refresh_from_db()
    assert order.status == Order.PAID
    assert Payment.objects.get(status=Payment.SUCCEEDED).recorded_by == personas.manager_a


@pytest.mark.django_db
def test_a_demo_says_on_every_shop_page_that_no_money_is_taken(shop, client_for, personas, settings):
    buyer = client_for(personas.buyer)
    settings.DEBUG, settings.DEMO_MODE, settings.PAYMENT_PROVIDER = False, True, "sandbox"
    for url in ("/shop/", "/shop/cart/", "/shop/orders/", "/shop/login/"):
        assert "演示环境，不会真实收款" in buyer.get(url).content.decode(), url
    settings.PAYMENT_PROVIDER = ""
    assert "演示环境" not in buyer.get("/shop/").content.decode()
