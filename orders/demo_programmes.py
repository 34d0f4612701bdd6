"""Demo of the pairing programmes, run at the end of the shop's demo (it needs its buyers and orders).

- 紫南村—莫谷村: born of the 2016–2020 Foshan–Liangshan agreement; the two villages kept buying and
  selling after it ended, so the programme is still running (its agreement period is in ``framework``).
- 宁波—喜德: the pairing since 2021, with its own organisation and coordinator: pairings are data.

Every figure on the demo reports comes from real demo orders, batches and ledger credits. Safe to run
twice: it does nothing once the 紫南村 programme exists.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from coop.models import Cooperative, Staff

DEMO_PASSWORD = "greenshell"


def _say(stdout, text):
    if stdout is not None:
        stdout.write(text)


def _coordinator(username, programme):
    from orders.models.programmes import ProgrammeCoordinator

    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    ProgrammeCoordinator.objects.get_or_create(user=user, programme=programme)
    return user


def seed(stdout=None):
    from orders.models import Buyer, Order, Product
    from orders.models.programmes import BuyerAffiliation, BuyerOrganisation, Pledge, Programme

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
               invoice_title="佛山市禅城区紫南食品有限公司", tax_number="91440604MA4UDEMO1X")
    org("佛山市禅城区紫南物业管理有限公司", BuyerOrganisation.ENTERPRISE, "黄主管", "13800000012", zinan)
    school = org("禅城区南庄镇中心小学食堂", BuyerOrganisation.INSTITUTION, "王老师", "13800000003", zinan,
                 invoice_title="佛山市禅城区南庄镇中心小学", tax_number="12440604MB2C3D4E5F")
    caring = org("爱心人士 陈阿姨", BuyerOrganisation.CARING, "陈阿姨", "13800000004", zinan)
    haishu = org("宁波市海曙区机关事务管理局食堂", BuyerOrganisation.INSTITUTION, "周科长", "13800000021", ningbo,
                 invoice_title="宁波市海曙区机关事务管理局", tax_number="11330203MB1234567X")

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
    from orders.models import Order
    from orders.models.programmes import ProgrammeAttribution
    from orders.services.programmes import attribute_order

    for key in ("demo-shipped", "demo-ready", "demo-completed", "demo-paid"):
        order = Order.objects.filter(idempotency_key=key).select_related("buyer").first()
        if order is not None:
            attribute_order(order, programme=programme, source=ProgrammeAttribution.MANAGER, user=manager)


def _place_programme_orders(coop, manager, product, school_buyer, nb_buyer, Order):
    from orders.demo import _pay_in_sandbox
    from orders.models.programmes import AcceptanceRating, InstitutionalTerms
    from orders.services import orders as svc

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
    from orders.models.programmes import ProgrammeError
    from orders.services.statements import issue_statement

    today = timezone.localdate()
    for o in organisations:
        try:
            issue_statement(programme=programme, organisation=o, start=today.replace(month=1, day=1), end=today,
                            user=manager)
        except ProgrammeError:
            continue
