"""A fixture world for the trust tests: two cooperatives with rows in every app, built with the
services the capabilities use (intake, packing, charter, shop, pairing, books), plus the people who
look at them.

``build_world(personas)`` returns a ``World`` whose ``objects[(model_label, "a"|"b")]`` is one row of
each model per cooperative, so a URL pattern that takes an object id can be filled with a real row of
cooperative A (whose data must never reach the people of B).
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from coop.models import LedgerEntry, Staff
from coop.services import fund, ledger
from coop.services.intake import record_delivery
from coop.services.notifications import notify
from coop.services.settlements import month_bounds, settle_period, start_settlement_run
from orders.models import (
    Address,
    AfterSale,
    AfterSalePhoto,
    Buyer,
    CourierFeeRegion,
    CourierFees,
    GroupBuy,
    InvoiceRequest,
    PickupPoint,
    Product,
)
from orders.models.programmes import (
    AcceptanceRating,
    BuyerAffiliation,
    BuyerOrganisation,
    InstitutionalTerms,
    MonitoringPolicy,
    Pledge,
    Programme,
    ProgrammeCoordinator,
)
from orders.services import orders as order_service
from orders.services import payments
from orders.services.statements import issue_statement
from quality.models import ReportPhoto
from quality.services import appeals
from quality.services.reports import confirm_report, submit_report
from quality.services.trace import ensure_trace_code, issue_box_codes, issue_certificate
from tests.factories import make_batch, make_charter, make_farmer, make_user, set_prices, voice_upload

# What the people of cooperative B must never read anywhere (household A's name and phone).
SECRET_MARKERS_A = ("吉克拉哈", "13912345601")


@dataclass
class World:
    personas: object
    coordinator: object  # a programme coordinator of cooperative A's programme only
    buyer_b: object  # a second buyer, whose orders the first buyer must never see
    objects: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)

    def obj(self, label, side="a"):
        return self.objects.get((label.lower(), side))


def _side(personas, side):
    coop = personas.coop_a if side == "a" else personas.coop_b
    manager = personas.manager_a if side == "a" else personas.manager_b
    farmer = personas.farmer_a if side == "a" else personas.farmer_b
    return coop, manager, farmer


def _populate(world, side, buyer_user):
    personas = world.personas
    coop, manager, farmer = _side(personas, side)
    tag = coop.producer_code
    today = timezone.localdate()
    set_prices(coop)
    village = farmer.village
    other = make_farmer(coop, village, head_name=f"阿牛{side}", hens=100)
    laid = today - datetime.timedelta(days=2)
    d1 = record_delivery(farmer=farmer, laid_from=laid, laid_to=laid, accepted={"L": 40}, rejected={"cracked": 1})
    d2 = record_delivery(farmer=other, laid_from=laid, laid_to=laid, accepted={"L": 40})
    ledger.post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount=Decimal("5"), reason="卫生先进户",
                      dedupe_key=f"trust:reward:{side}")
    batch = make_batch(coop, deliveries=[d1, d2], weight_class="L", pack_size=10, boxes=4, code=f"{tag}-TR1")
    trace = ensure_trace_code(batch)
    issue_box_codes(trace, 2, user=manager)
    issue_certificate(batch, user=manager)
    world.codes[side] = trace.code
    # The charter: a report on the batch, confirmed into a penalty, appealed by the household.
    make_charter(coop)
    report, _ = submit_report(batch=batch, eggs=2, defect="rotten", rate_limited=False, contact_phone="13800000000")
    # Its photo and the after-sale's below: private files, made directly (the services re-encode uploads).
    ReportPhoto.objects.create(report=report, image=ContentFile(photo_bytes(), name=f"trust-{side}.jpg"))
    penalties = confirm_report(report, user=manager)
    penalty = [p for p in penalties if p.farmer_id == farmer.pk][0] if penalties else None
    if penalty is not None:
        # With a voice note: a private file only the cooperative's managers and committee and the household play.
        appeals.file_appeal(penalty, user=farmer.user, grounds="蛋是运输中碰坏的", voice_note=voice_upload(),
                            voice_seconds="1")
    # The fund and hygiene.
    fund.record_donation(cooperative=coop, donor="紫南村", amount="200", hygiene_reserve="100")
    fund.record_inspection(cooperative=coop, village=village, scores={farmer: 90, other: 70})
    notify(event="trust.test", key=f"trust:{side}", body="测试通知", farmer=farmer)
    # The shop: a product, a pickup point, a group buy, a paid order with a partial refund.
    product = Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                                     price=Decimal("39.90"), per_order_limit=10)
    pickup = PickupPoint.objects.create(cooperative=coop, name=f"{village.name}村委会", address="村委会")
    now = timezone.now()
    GroupBuy.objects.create(cooperative=coop, code=f"G{tag}", title="绿壳蛋接龙", product=product,
                            price=Decimal("35.00"), stock_cap=8, per_person_limit=3,
                            starts_at=now - datetime.timedelta(hours=1), deadline=now + datetime.timedelta(days=1),
                            pickup_point=pickup, leader=buyer_user, leader_name="阿果")
    phone = "13800001234" if side == "a" else "13800001235"
    buyer, _ = Buyer.objects.get_or_create(user=buyer_user, defaults=dict(name=f"买家{side}", phone=phone))
    programme = Programme.objects.create(
        cooperative=coop, code=f"P{tag}", name=f"结对帮扶{side}", east_organisation="佛山市禅城区紫南村",
        east_city="佛山市", east_province="广东省", starts_on=today - datetime.timedelta(days=365),
        agreement=ContentFile(b"%PDF-1.4 agreement", name=f"agreement-{side}.pdf"))
    programme.villages.add(village)
    org = BuyerOrganisation.objects.create(cooperative=coop, name=f"机关食堂{side}",
                                           kind=BuyerOrganisation.INSTITUTION, contact_phone="13800009999")
    org.programmes.add(programme)
    BuyerAffiliation.objects.get_or_create(buyer=buyer, organisation=org)
    Address.objects.create(buyer=buyer, recipient="张三", phone="13800001234", region="广东省佛山市禅城区",
                           province_code="44", province_name="广东省", city_code="4406", city_name="佛山市",
                           district_code="440604", district_name="禅城区", detail="紫南村 1 号", is_default=True)
    fees = CourierFees.objects.create(cooperative=coop, default_fee=Decimal("12.00"), free_from_boxes=6)
    CourierFeeRegion.objects.create(fees=fees, province_code="51", fee=Decimal("6.00"))
    address = {"recipient": "张三", "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号"}
    order, _ = order_service.place_order(buyer=buyer, items=[order_service.Item(product, 1)], address=address,
                                         programme_code=programme.code)
    payments.record_offline_payment(order, reference=f"转账-{order.pk}", user=manager)
    order.refresh_from_db()
    payments.refund(order, out_refund_no=f"R{side}1", amount="1.00", reason="坏蛋赔付", user=manager)
    world.orders[side] = order
    # An after-sale request on it (made directly: the service wants a received order, the walk only pages).
    request = AfterSale.objects.create(cooperative=coop, order=order, line=order.lines.first(),
                                       reason=AfterSale.BAD_EGGS, unit=AfterSale.EGGS, quantity=1)
    AfterSalePhoto.objects.create(aftersale=request, image=ContentFile(photo_bytes(), name=f"trust-{side}.jpg"))
    # Its 发票, issued with a PDF (made directly, like the request above): the PDF view has a file to refuse.
    InvoiceRequest.objects.create(cooperative=coop, order=order, kind="company", title=org.name,
                                  tax_number="91440300708461136T", amount=order.total - Decimal("1.00"),
                                  status=InvoiceRequest.ISSUED, invoice_number=f"1234567{1 if side == 'a' else 2}",
                                  pdf=ContentFile(b"%PDF-1.4 invoice", name=f"invoice-{side}.pdf"))
    month_ago, in_a_month = today - datetime.timedelta(days=30), today + datetime.timedelta(days=30)
    Pledge.objects.create(organisation=org, programme=programme, amount=Decimal("1000"), period_start=month_ago,
                          period_end=in_a_month)
    issue_statement(programme=programme, organisation=org, start=today - datetime.timedelta(days=30), end=today,
                    user=manager)
    _try_create(InstitutionalTerms, organisation=org)
    _try_create(AcceptanceRating, order=order, rating=5)
    _try_create(MonitoringPolicy, cooperative=coop)
    # The books: this month's settlement and a finished run for last month.
    month = month_bounds(today)
    settle_period(period_start=month[0], period_end=month[1], cooperative_ids=[coop.pk], user=manager)
    prev = month_bounds(month[0] - datetime.timedelta(days=1))
    from coop.services.settlements import execute_run

    run = start_settlement_run(cooperative=coop, period_start=prev[0], period_end=prev[1], user=manager)
    execute_run(run.pk)
    return programme


def photo_bytes(color="brown"):
    """A small real JPEG (the image fields read its size)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


def _try_create(model, **kw):
    """Rows of small configuration models: created when these fields suffice, else left to the admin."""
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            return model.objects.create(**kw)
    except (IntegrityError, TypeError, ValueError):
        return None


def build_world(personas):
    personas.farmer_a.phone = SECRET_MARKERS_A[1]
    personas.farmer_a.save(update_fields=["phone"])
    buyer_b = make_user("buyer_b")
    world = World(personas=personas, coordinator=make_user("coordinator"), buyer_b=buyer_b)
    programme_a = _populate(world, "a", personas.buyer)
    _populate(world, "b", buyer_b)
    ProgrammeCoordinator.objects.create(user=world.coordinator, programme=programme_a)
    # One row of each model per cooperative, found through the model's path to a cooperative.
    for model in apps.get_models():
        label = model._meta.label_lower
        for side, coop in (("a", personas.coop_a), ("b", personas.coop_b)):
            row = _row_of(model, coop, personas, side)
            if row is not None:
                world.objects[(label, side)] = row
    assert Staff.objects.count() >= 4
    return world


COOP_PATHS = ("cooperative", "farmer__cooperative", "batch__cooperative", "order__cooperative",
              "programme__cooperative", "organisation__cooperative", "trace__batch__cooperative",
              "report__batch__cooperative", "penalty__farmer__cooperative", "charter__cooperative",
              "payment__order__cooperative", "inspection__cooperative", "settlement__farmer__cooperative",
              "village__cooperative", "delivery__cooperative", "buyer__orders__cooperative", "user__staff__cooperative",
              "group_buy__cooperative", "product__cooperative", "aftersale__cooperative")


def _row_of(model, coop, personas, side):
    from django.contrib.auth import get_user_model
    from django.core.exceptions import FieldError

    if model is get_user_model():
        return (personas.manager_a if side == "a" else personas.manager_b)
    if model._meta.label_lower == "coop.cooperative":
        return coop
    for path in COOP_PATHS:
        try:
            qs = model.objects.filter(**{path: coop.pk}).order_by("pk")
            row = qs.first()
        except (FieldError, ValueError):  # the path does not exist on this model
            continue
        if row is not None:
            return row
    return None
