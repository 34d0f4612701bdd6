"""Payment notifications handled per second: the real WeChat Pay provider (wechatpayv3: RSA verify + AES-GCM
decrypt + mchid/appid/amount checks) against the sandbox provider (our own verify), on a throw-away SQLite.

Each notification pays one pending order (the full path: verify, find the payment, compare-and-set payment and
order, audit, evidence row), in-process through ``payments.handle_notification``, one after another.

    .venv/bin/python bench/payment_notify.py          # BENCH_ORDERS=200 by default
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))

from common import sqlite_django  # noqa: E402

sqlite_django("payment-notify", LOG_LEVEL="ERROR")


def main():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from orders.models import Buyer, Order, SandboxTransaction
    from orders.services import payments
    from orders.services.orders import Item, place_order
    from orders.services.payments.apiv3_local import LocalApiV3
    from orders.services.payments.base import Payer
    from orders.services.payments.sandbox import SandboxPlatform
    from tests.factories import ADDRESS, make_batch, make_cooperative, make_product, make_user

    call_command("migrate", verbosity=0)
    coop = make_cooperative(name="对账测试合作社", producer_code="NOTIFY")
    product = make_product(coop, per_order_limit=10)
    make_batch(coop, weight_class="L", pack_size=10, boxes=2 * ORDERS + 10)
    buyer = Buyer.objects.create(user=make_user("notify-bench"), name="张三", phone="13800001234",
                                 wechat_openid="oBench000000000000000000000")

    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = LocalApiV3(mchid="1230000109", appid="wxd678efh567hg6787", apiv3_key="a12d3924fd499edac8a5efc1a2b3c4d5",
                     merchant_public_key_pem=merchant.public_key().public_bytes(
                         serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
                     merchant_serial="444F4864EA9B34415ABCDEF0123456789ABCDEF0")
    keys = tempfile.mkdtemp(prefix="gs-bench-keys-")
    with open(f"{keys}/key.pem", "w") as fh:
        fh.write(merchant.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode())
    with open(f"{keys}/platform.pem", "w") as fh:
        fh.write(api.platform_file_pem())
    settings.WECHATPAY_GATEWAY = api.start()
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = api.mchid, api.appid
    settings.WECHATPAY_APIV3_KEY = "a12d3924fd499edac8a5efc1a2b3c4d5"
    settings.WECHATPAY_CERT_SERIAL = api.merchant_serial
    settings.WECHATPAY_PRIVATE_KEY_FILE = f"{keys}/key.pem"
    settings.WECHATPAY_PLATFORM_CERT_FILE = f"{keys}/platform.pem"
    settings.WECHATPAY_PUBLIC_KEY_ID = api.public_key_id

    def pending(provider):
        notes = []
        for _i in range(ORDERS):
            order, _ = place_order(buyer=buyer, items=[Item(product, 1)], address=ADDRESS)
            payment, _data = payments.start_payment(order, provider_name=provider, payer=Payer("native"))
            if provider == "wechat":
                api.pay(payment.out_trade_no)
                notes.append(api.transaction_notification(payment.out_trade_no))
            else:
                SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(
                    trade_state="SUCCESS", success_time=timezone.now(), payer_openid="o-bench")
                txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
                notes.append(SandboxPlatform().build_notification(txn))
        return notes

    results = {}
    # BENCH_FIRST=wechat swaps the order, to see that neither gains from running second (a warmer, larger DB).
    first = os.environ.get("BENCH_FIRST", "sandbox")
    for provider in (first, "wechat" if first == "sandbox" else "sandbox"):
        notes = pending(provider)
        t = time.perf_counter()
        for headers, body in notes:
            status, _answer = payments.handle_notification(provider, headers, body)
            assert status == 200, (provider, status, _answer)
        seconds = time.perf_counter() - t
        results[provider] = ORDERS / seconds
        print(f"{provider:8s} {ORDERS} notifications in {seconds:.2f} s = {results[provider]:.0f} /s "
              f"({1000 * seconds / ORDERS:.1f} ms each)")
    assert Order.objects.filter(status=Order.PAID).count() == 2 * ORDERS
    print(f"ratio wechat / sandbox: {results['wechat'] / results['sandbox']:.2f}")
    api.stop()


if __name__ == "__main__":
    main()
