"""Demo data of the shop: products on packed batches, pickup points, buyers of every kind, a running
group buy, and orders in every state — paid through the sandbox's signed notifications.

Deterministic and safe to run twice: it does nothing if the demo products already exist."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from coop.demo import DEMO_PASSWORD
from coop.models import Cooperative, Farmer, PriceSchedule, Staff
from coop.services.intake import record_delivery
from coop.services.packing import pack_batch
from orders.models import (
    Buyer,
    CourierFeeRegion,
    CourierFees,
    GroupBuy,
    Order,
    PickupPoint,
    Product,
    SandboxTransaction,
)
from orders.models.programmes import (
    AcceptanceRating,
    BuyerAffiliation,
    BuyerOrganisation,
    InstitutionalTerms,
    Pledge,
    Programme,
    ProgrammeAttribution,
    ProgrammeCoordinator,
    ProgrammeError,
)
from orders.services import invoices, payments
from orders.services import orders as svc
from orders.services.payments.sandbox import SandboxPlatform
from orders.services.programmes import attribute_order
from orders.services.statements import issue_statement

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
            tax_number="91440604MA4UDEMX1B" if kind == "enterprise" else ""))
    _orders(hbl, manager, p10, p30, village_point, foshan_point, buyers)
    _say(stdout, "shop: /shop/ (buyers sign in with 138 0000 0001…5; the code is printed in the server log), "
                 "group buy /shop/g/ZN2026A\n")
    seed_programmes(stdout)
    # Courier fees after the demo's orders, so their figures stay as the programme pages tell them; a buyer who
    # orders now sees the fee for their address at checkout (Sichuan is near, Guangdong far).
    fees = CourierFees.objects.create(cooperative=hbl, default_fee=Decimal("15.00"), free_from_boxes=6)
    CourierFeeRegion.objects.bulk_create([CourierFeeRegion(fees=fees, province_code="51", fee=Decimal("6.00")),
                                          CourierFeeRegion(fees=fees, province_code="44", fee=Decimal("12.00"))])
    return None


def _stock(coop, manager):

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

    payment, _data = payments.start_payment(order, provider_name="sandbox")
    SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(
        trade_state="SUCCESS", success_time=timezone.now(), payer_openid=f"sandbox-{order.buyer_id}")
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    headers, body = SandboxPlatform().build_notification(txn)
    payments.handle_notification("sandbox", headers, body)
    SandboxTransaction.objects.filter(pk=txn.pk).update(notified_ok_at=timezone.now(), notify_attempts=1)
    order.refresh_from_db()


def _orders(coop, manager, p10, p30, village_point, foshan_point, buyers):

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
    # 李经理's company asks for a 发票 with its saved details: the managers' 待开发票 list has one to issue.
    invoices.request_invoice(shipped, **invoices.prefill(shipped))
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
        stock_cap=12, target_boxes=10, per_person_limit=3, starts_at=now - datetime.timedelta(hours=2),
        deadline=now + datetime.timedelta(days=2), pickup_point=foshan_point, leader=leader.user,
        leader_name="阿果", note="以购代捐：每一盒都记在紫南村—莫谷村结对帮扶的账上。周六在紫南村服务站取货。")
    first = place(b["13800000001"], p10, 2, "demo-gb-1", group_buy=gb, address=None)
    _pay_in_sandbox(first)
    second = place(b["13800000004"], p10, 1, "demo-gb-2", group_buy=gb, address=None)
    _pay_in_sandbox(second)
    svc.pack_order(second, user=manager)
    svc.mark_ready_for_pickup(second, user=manager)
    place(b["13800000003"], p10, 3, "demo-gb-3", group_buy=gb, address=None)


def _coordinator(username, programme):

    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    ProgrammeCoordinator.objects.get_or_create(user=user, programme=programme)
    return user


def seed_programmes(stdout=None):

    hbl = Cooperative.objects.filter(producer_code="HBL").first()
    if hbl is None or Programme.objects.filter(code="ZNMG16").exists():
        return None
    villages = {v.name: v for v in hbl.villages.all()}
    today = timezone.localdate()

    zinan = Programme.objects.create(
        cooperative=hbl, code="ZNMG16", name="紫南村—莫谷村结对帮扶", east_organisation="佛山市禅城区紫南村",
        east_city="佛山市", east_province="广东省", framework="佛山—凉山东西部扶贫协作（2016–2020）",
        starts_on=datetime.date(2016, 10, 1), status=Programme.ACTIVE,
        description="2016–2020 年佛山—凉山东西部扶贫协作协议下结对；协议期满后两村继续以购代捐。")
    zinan.villages.add(*[v for name, v in villages.items() if name == "莫谷村"])
    ningbo = Programme.objects.create(
        cooperative=hbl, code="NBXD21", name="宁波—喜德东西部协作消费帮扶", east_organisation="宁波市海曙区",
        east_city="宁波市", east_province="浙江省", framework="浙江—四川东西部协作（2021 年起）",
        starts_on=datetime.date(2021, 3, 1), status=Programme.ACTIVE)
    ningbo.villages.add(*[v for name, v in villages.items() if name in ("桌古村", "尔吉村")])

    def org(name, kind, contact, phone, programme, **kw):
        o, _c = BuyerOrganisation.objects.get_or_create(cooperative=hbl, name=name, defaults=dict(
            kind=kind, contact_name=contact, contact_phone=phone, default_programme=programme, **kw))
        o.programmes.add(programme)
        return o

    food = org("佛山市禅城区紫南食品有限公司", BuyerOrganisation.ENTERPRISE, "李经理", "13800000002", zinan,
               invoice_title="佛山市禅城区紫南食品有限公司", tax_number="91440604MA4UDEMX1B")
    org("佛山市禅城区紫南物业管理有限公司", BuyerOrganisation.ENTERPRISE, "黄主管", "13800000012", zinan)
    school = org("禅城区南庄镇中心小学食堂", BuyerOrganisation.INSTITUTION, "王老师", "13800000003", zinan,
                 invoice_title="佛山市禅城区南庄镇中心小学", tax_number="12440604MB2C3D4E57")
    caring = org("爱心人士 陈阿姨", BuyerOrganisation.CARING, "陈阿姨", "13800000004", zinan)
    haishu = org("宁波市海曙区机关事务管理局食堂", BuyerOrganisation.INSTITUTION, "周科长", "13800000021", ningbo,
                 invoice_title="宁波市海曙区机关事务管理局", tax_number="11330203MB1234567Y")

    members = {"13800000002": food, "13800000003": school, "13800000004": caring}
    buyers = {b.phone: b for b in Buyer.objects.filter(phone__in=[*members, "13800000021"])}
    for phone, o in members.items():
        if phone in buyers:
            BuyerAffiliation.objects.get_or_create(buyer=buyers[phone], defaults={"organisation": o})
    User = get_user_model()
    nb_user, _c = User.objects.get_or_create(username="buyer-13800000021")
    nb_buyer, _c = Buyer.objects.get_or_create(user=nb_user, defaults=dict(
        phone="13800000021", name="周科长", kind=Buyer.INSTITUTION, organisation=haishu.name,
        invoice_title=haishu.invoice_title, tax_number=haishu.tax_number))
    BuyerAffiliation.objects.get_or_create(buyer=nb_buyer, defaults={"organisation": haishu})

    Pledge.objects.get_or_create(organisation=school, programme=zinan, period_start=today.replace(month=1, day=1),
                                 period_end=today.replace(month=12, day=31), defaults=dict(
                                     amount=Decimal("2000.00"), note="食堂年度采购预留份额（832 平台同类做法）"))
    Pledge.objects.get_or_create(organisation=haishu, programme=ningbo, period_start=today.replace(month=1, day=1),
                                 period_end=today.replace(month=12, day=31), defaults=dict(
                                     amount=Decimal("1500.00"), note="机关食堂消费帮扶预留份额"))

    manager = Staff.objects.filter(cooperative=hbl, role=Staff.MANAGER).select_related("user").first()
    manager = manager.user if manager else None
    _attribute_shop_orders(zinan, manager)
    _place_programme_orders(hbl, manager, Product.objects.filter(cooperative=hbl, pack_size=10).first(),
                            buyers.get("13800000003"), nb_buyer, Order)
    _statements(zinan, [school, food, caring], manager)
    _coordinator("coordinator", zinan)
    _coordinator("coordinator2", ningbo)
    _say(stdout, "pairing: /programmes/ (coordinator / greenshell sees 紫南村—莫谷村 only; coordinator2 sees 宁波), "
                 "programme link /shop/p/ZNMG16, verification /v/<code>, monitoring /programmes/monitoring/\n")
    return None


def _attribute_shop_orders(programme, manager):
    """The shop demo's organisation buyers bought under the programme (recorded by the manager)."""

    for key in ("demo-shipped", "demo-ready", "demo-completed", "demo-paid"):
        order = Order.objects.filter(idempotency_key=key).select_related("buyer").first()
        if order is not None:
            attribute_order(order, programme=programme, source=ProgrammeAttribution.MANAGER, user=manager)


def _place_programme_orders(coop, manager, product, school_buyer, nb_buyer, Order):
    if product is None:
        return
    canteen = {"recipient": "王老师", "phone": "13800000003", "address": "佛山市禅城区南庄镇中心小学 食堂"}
    placed = []
    for buyer, boxes, key, code, address in (
            (school_buyer, 3, "demo-prog-school-1", "ZNMG16", canteen),
            (school_buyer, 2, "demo-prog-school-2", "ZNMG16", canteen),
            (nb_buyer, 2, "demo-prog-ningbo-1", "NBXD21",
             {"recipient": "周科长", "phone": "13800000021", "address": "浙江省宁波市海曙区机关食堂"})):
        if buyer is None:
            continue
        try:
            order, _c = svc.place_order(buyer=buyer, items=[svc.Item(product, boxes)], address=address,
                                        idempotency_key=key, programme_code=code)
        except Exception:  # noqa: BLE001 - the demo carries on with what stock is left
            continue
        _pay_in_sandbox(order)
        placed.append(order)
    for order in placed:
        try:
            svc.pack_order(order, user=manager)
            svc.mark_shipped(order, courier_company="顺丰速运", tracking_no=f"SF{order.pk:010d}", user=manager)
        except Exception:  # noqa: BLE001
            continue
    if placed and placed[0].buyer_id == getattr(school_buyer, "pk", None):
        first = placed[0]
        InstitutionalTerms.objects.get_or_create(order=first, defaults=dict(
            purchase_order_ref="NZ-2026-118", schedule=InstitutionalTerms.WEEKLY, deliver_to="学校食堂"))
        first.refresh_from_db()
        if first.status == Order.SHIPPED:
            svc.complete(first, user=manager, reason="食堂验收")
            AcceptanceRating.objects.get_or_create(order=first, defaults=dict(
                stars=5, comment="蛋新鲜，无破损，按时送到食堂。", rated_by=school_buyer.user))


def _statements(programme, organisations, manager):

    today = timezone.localdate()
    for o in organisations:
        try:
            issue_statement(programme=programme, organisation=o, start=today.replace(month=1, day=1), end=today,
                            user=manager)
        except ProgrammeError:
            continue
