"""Demo data of the shop: products on packed batches, pickup points, buyers of every kind, a running
group buy, and orders in every state — paid through the sandbox's signed notifications.

Deterministic and safe to run twice: it does nothing if the demo products already exist.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from coop.models import Cooperative, Farmer, PriceSchedule, Staff

DEMO_BUYERS = [
    # phone, name, kind, organisation
    ("13800000001", "张三", "individual", ""),
    ("13800000002", "李经理", "enterprise", "佛山市禅城区紫南食品有限公司"),
    ("13800000003", "王老师", "institution", "禅城区南庄镇中心小学食堂"),
    ("13800000004", "陈阿姨", "caring", ""),
    ("13800000005", "阿果", "individual", ""),
]


def _say(stdout, text):
    if stdout is not None:
        stdout.write(text)


def seed(stdout=None):
    from orders.models import Buyer, Product

    hbl = Cooperative.objects.filter(producer_code="HBL").first()
    if hbl is None or Product.objects.filter(cooperative=hbl).exists():
        return None
    manager = Staff.objects.filter(cooperative=hbl, role=Staff.MANAGER).select_related("user").first()
    manager = manager.user if manager else None
    _stock(hbl, manager)
    p10 = Product.objects.create(
        cooperative=hbl, name="高山散养绿壳鸡蛋 10枚装", weight_class="L", pack_size=10, price=Decimal("39.90"),
        per_order_limit=10, sort_order=1,
        description="海拔两千米以上的山坡散养，母鸡吃苦荞、野草、玉米和虫子。每盒可扫码查到村和批次。")
    p30 = Product.objects.create(
        cooperative=hbl, name="高山散养绿壳鸡蛋 30枚礼盒", weight_class="L", pack_size=30, price=Decimal("108.00"),
        per_order_limit=5, sort_order=2, description="适合送礼和单位食堂。以购代捐，支持凉山村集体经济。")
    from orders.models import PickupPoint

    village_point = PickupPoint.objects.create(cooperative=hbl, name="尔吉村村委会", address="贺波洛乡尔吉村",
                                               contact="阿果", phone="13800000005", hours="每天 9:00–18:00")
    foshan_point = PickupPoint.objects.create(cooperative=hbl, name="紫南村服务站", address="佛山市禅城区紫南村",
                                              contact="李经理", phone="13800000002", hours="周一至周六 9:00–17:00")
    buyers = {}
    User = get_user_model()
    for phone, name, kind, org in DEMO_BUYERS:
        user, _c = User.objects.get_or_create(username=f"buyer-{phone}")
        buyers[phone], _c = Buyer.objects.get_or_create(user=user, defaults=dict(
            phone=phone, name=name, kind=kind, organisation=org,
            invoice_title=org if kind in Buyer.INVOICE_KINDS else "",
            tax_number="91440604MA4UDEMO1X" if kind == "enterprise" else ""))
    _orders(hbl, manager, p10, p30, village_point, foshan_point, buyers)
    _say(stdout, "shop: /shop/ (buyers sign in with 138 0000 0001…5; the code is printed in the server log), "
                 "group buy /shop/g/ZN2026A\n")
    from orders.demo_programmes import seed as seed_programmes  # pairing programmes
    seed_programmes(stdout)
    return None


def _stock(coop, manager):
    from coop.services.intake import record_delivery
    from coop.services.packing import pack_batch

    today = timezone.localdate()
    for wc, price in (("XL", "1.80"), ("L", "1.50"), ("M", "1.30"), ("S", "1.10")):
        if not PriceSchedule.objects.filter(cooperative=coop, weight_class=wc, effective_from__lte=today).exists():
            PriceSchedule.objects.create(cooperative=coop, weight_class=wc, price_per_egg=price,
                                         effective_from=today - datetime.timedelta(days=60))
    for farmer in Farmer.objects.filter(cooperative=coop, active=True).order_by("member_no")[:8]:
        record_delivery(farmer=farmer, laid_from=today - datetime.timedelta(days=1), accepted={"L": 60},
                        inspector=manager, idempotency_key=f"demo-shop-{farmer.member_no}")
    pack_batch(cooperative=coop, weight_class="L", pack_size=10, boxes=30, user=manager)
    pack_batch(cooperative=coop, weight_class="L", pack_size=30, boxes=4, user=manager)


def _pay_in_sandbox(order):
    """The buyer pays on the sandbox platform and its signed, encrypted notification is handled."""
    from orders.models import SandboxTransaction
    from orders.services import payments
    from orders.services.payments.sandbox import SandboxPlatform

    payment, _data = payments.start_payment(order, provider_name="sandbox")
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(
        trade_state="SUCCESS", success_time=timezone.now(), payer_openid=f"sandbox-{order.buyer_id}")
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    headers, body = SandboxPlatform().build_notification(txn)
    payments.handle_notification("sandbox", headers, body)
    SandboxTransaction.objects.filter(pk=txn.pk).update(notified_ok_at=timezone.now(), notify_attempts=1)
    order.refresh_from_db()


def _orders(coop, manager, p10, p30, village_point, foshan_point, buyers):
    from orders.models import GroupBuy
    from orders.services import orders as svc
    from orders.services import payments

    home = {"recipient": "张三", "phone": "13800000001", "address": "广东省佛山市禅城区紫南村 8 号"}
    b = buyers

    def place(buyer, product, boxes, key, **kw):
        kw.setdefault("address", home)
        order, _c = svc.place_order(buyer=buyer, items=[svc.Item(product, boxes)], idempotency_key=key, **kw)
        return order

    place(b["13800000001"], p10, 2, "demo-pending")  # waiting for payment
    paid = place(b["13800000004"], p10, 1, "demo-paid")
    _pay_in_sandbox(paid)
    packed = place(b["13800000001"], p10, 3, "demo-packed")
    _pay_in_sandbox(packed)
    svc.pack_order(packed, user=manager)
    shipped = place(b["13800000002"], p30, 2, "demo-shipped",
                    address={"recipient": "李经理", "phone": "13800000002", "address": "佛山市禅城区紫南村工业园 3 号"})
    _pay_in_sandbox(shipped)
    svc.pack_order(shipped, user=manager)
    svc.mark_shipped(shipped, courier_company="顺丰速运", tracking_no="SF1409275830", user=manager)
    ready = place(b["13800000003"], p10, 4, "demo-ready", fulfilment="pickup", pickup_point=foshan_point,
                  address=None)
    payments.record_offline_payment(ready, reference="对公转账 20261128-0031", user=manager)
    ready.refresh_from_db()
    svc.pack_order(ready, user=manager)
    svc.mark_ready_for_pickup(ready, user=manager)
    done = place(b["13800000004"], p10, 1, "demo-completed")
    _pay_in_sandbox(done)
    svc.pack_order(done, user=manager)
    svc.mark_shipped(done, courier_company="中国邮政", tracking_no="9812345678901", user=manager)
    svc.complete(done, user=manager, reason="买家已签收")
    cancelled = place(b["13800000002"], p10, 2, "demo-cancelled")
    svc.cancel_order(cancelled, actor_label="李经理", reason="买家取消")
    refunded = place(b["13800000001"], p10, 1, "demo-refunded")
    _pay_in_sandbox(refunded)
    payments.refund(refunded, out_refund_no="DEMO-REFUND-1", reason="买家申请退款", user=manager)

    now = timezone.now()
    leader = b["13800000005"]
    gb = GroupBuy.objects.create(
        cooperative=coop, code="ZN2026A", title="紫南村·凉山绿壳蛋第一期接龙", product=p10, price=Decimal("35.00"),
        stock_cap=12, per_person_limit=3, starts_at=now - datetime.timedelta(hours=2),
        deadline=now + datetime.timedelta(days=2), pickup_point=village_point, leader=leader.user,
        leader_name="阿果", note="以购代捐：每一盒都记在紫南村—莫谷村结对帮扶的账上。周六在村委会取货。")
    first = place(b["13800000001"], p10, 2, "demo-gb-1", group_buy=gb, address=None)
    _pay_in_sandbox(first)
    second = place(b["13800000004"], p10, 1, "demo-gb-2", group_buy=gb, address=None)
    _pay_in_sandbox(second)
    svc.pack_order(second, user=manager)
    svc.mark_ready_for_pickup(second, user=manager)
    place(b["13800000003"], p10, 3, "demo-gb-3", group_buy=gb, address=None)
