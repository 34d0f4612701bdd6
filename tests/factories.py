"""Small factories for tests: plain functions with sensible defaults, overridable by keyword.

The one module of test helpers, by app: the collective's rows and books (``make_*``, ``set_prices``,
``deliver``, PIN sign-in), the charter (``make_charter``, reports, photos), the shop (``make_product``,
``make_group_buy``, ``ADDRESS``, ``start_local_wechat`` for the real WeChat Pay provider) and the pairing
programmes (``make_pairing``, ``place``/``pay``/``buy``).
The fixtures built on them (``charter``, ``shop``, ``pairing``…) are in ``tests/conftest.py``.
"""

import datetime
import io
import itertools
from dataclasses import dataclass
from decimal import Decimal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from coop.models import Cooperative, Farmer, PriceSchedule, Staff, Village
from orders.services.payments.apiv3_local import LocalApiV3

_seq = itertools.count(1)


def make_user(username=None, password="pw-greenshell-1", **extra):
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password=password, **extra)
    user.raw_password = password
    return user


def make_cooperative(**kw):
    n = next(_seq)
    defaults = dict(name=f"测试合作社{n}", township="贺波洛乡", county="喜德县", prefecture="凉山彝族自治州",
                    producer_code=f"T{n:03d}")
    defaults.update(kw)
    return Cooperative.objects.create(**defaults)


def make_village(cooperative, **kw):
    defaults = dict(name=f"村{next(_seq)}", altitude_m=2300)
    defaults.update(kw)
    return Village.objects.create(cooperative=cooperative, **defaults)


def make_farmer(cooperative, village=None, **kw):
    n = next(_seq)
    village = village or Village.objects.filter(cooperative=cooperative).first() or make_village(cooperative)
    defaults = dict(member_no=f"M{n:04d}", head_name=f"吉克{n}", phone=f"139{n:08d}", hens=30)
    defaults.update(kw)
    return Farmer.objects.create(cooperative=cooperative, village=village, **defaults)


def make_staff(cooperative, role=Staff.MANAGER, username=None):
    user = make_user(username, is_staff=True)
    Staff.objects.create(user=user, cooperative=cooperative, role=role)
    return user


def make_delivery(farmer, *, accepted=None, rejected=None, laid_on=None, price="1.50", received_at=None, **kw):
    """A delivery row as intake would leave it. ``accepted={"L": 20}``, ``rejected={"cracked": 2}``.

    Bypasses the intake service (which the books' tests exercise): for tests of later stages
    (batches, scans, orders) that only need eggs in stock.
    """
    from coop.models import Delivery

    accepted = accepted or {"L": 30}
    rejected = rejected or {}
    laid_on = laid_on or timezone.localdate() - datetime.timedelta(days=1)
    fields = {f"accepted_{k.lower()}": v for k, v in accepted.items()}
    fields.update({f"rejected_{k}": v for k, v in rejected.items()})
    price = Decimal(price)
    for wc in ("xl", "l", "m", "s"):
        fields.setdefault(f"price_{wc}", price)
    total = sum(accepted.values()) + sum(rejected.values())
    amount = sum(Decimal(n) * price for n in accepted.values())
    return Delivery.objects.create(
        cooperative=farmer.cooperative, farmer=farmer, laid_from=laid_on, laid_to=laid_on,
        eggs_brought=total, amount_due=amount, received_at=received_at or timezone.now(), **fields, **kw)


def make_batch(cooperative, *, deliveries=None, weight_class="L", pack_size=10, boxes=3, code=None, laid_on=None,
               **kw):
    """A packed batch made of ``deliveries`` (created if not given), bypassing the packing service's
    stock rules but not its hook: ``batch_packed`` is sent as ``pack_batch`` sends it, so the batch
    has its trace code, box codes and certificate like a really packed one."""
    from coop.models import Batch, BatchContribution
    from coop.services.packing import batch_packed

    eggs = pack_size * boxes
    if deliveries is None:
        farmer = make_farmer(cooperative)
        deliveries = [make_delivery(farmer, accepted={weight_class: eggs}, laid_on=laid_on)]
    laid_from = min(d.laid_from for d in deliveries)
    laid_to = max(d.laid_to for d in deliveries)
    batch = Batch.objects.create(
        cooperative=cooperative, code=code or f"{cooperative.producer_code}-{next(_seq):05d}",
        weight_class=weight_class, pack_size=pack_size, boxes=boxes, eggs=eggs,
        laid_from=laid_from, laid_to=laid_to, best_before=laid_from + datetime.timedelta(days=28),
        packed_at=kw.pop("packed_at", timezone.now()), **kw)
    remaining = eggs
    for d in deliveries:
        take = min(remaining, d.accepted_of(weight_class))
        if take:
            BatchContribution.objects.create(batch=batch, delivery=d, eggs=take)
            remaining -= take
    assert remaining == 0, "deliveries do not hold enough accepted eggs for this batch"
    batch_packed.send(sender=Batch, batch=batch, user=None)
    return batch


# --- the books: prices in force and deliveries through the real intake service -------------------------


def set_prices(coop, day=None, **prices):
    day = day or datetime.date(2020, 1, 1)
    prices = prices or {"XL": "1.80", "L": "1.50", "M": "1.20", "S": "1.00"}
    for wc, price in prices.items():
        PriceSchedule.objects.update_or_create(cooperative=coop, weight_class=wc, effective_from=day,
                                               defaults={"price_per_egg": Decimal(price)})


def deliver(farmer, accepted=None, rejected=None, laid_days_ago=1, laid_to=None, **kw):
    from coop.services.intake import record_delivery

    laid = timezone.localdate() - datetime.timedelta(days=laid_days_ago)
    accepted = {"L": 20} if accepted is None else accepted
    return record_delivery(farmer=farmer, laid_from=laid, laid_to=laid_to or laid, accepted=accepted,
                           rejected=rejected or {}, **kw)


# --- the farmer pages: PIN sign-in -------------------------------------------------------------------------


def give_pin(farmer, manager, pin="246810"):
    from coop.services import farmers as pin_service

    return pin_service.set_pin(farmer, by=manager, pin=pin)


def sign_in(client, farmer, pin="246810"):
    return client.post("/farmer/login/", {"phone": farmer.phone, "pin": pin})


# --- the charter: a charter with an escalation ladder, reports, photos -------------------------------------


def make_charter(coop, *, version=1, effective_from=None, fine_per_egg="2.00", window=7, notice_days=30, **kw):
    from quality.models import ANY_DEFECT, Charter, Clause

    effective_from = effective_from or timezone.localdate() - datetime.timedelta(days=100)
    charter = Charter.objects.create(
        cooperative=coop, version=version, text="第一条 交蛋须新鲜干净……", adopted_on=effective_from,
        effective_from=effective_from, assembly_attendance=28, votes_for=26, votes_against=1, votes_abstain=1,
        appeal_window_days=window, notice_days=notice_days, **kw)
    per_egg = Decimal(fine_per_egg)
    Clause.objects.create(charter=charter, number="第五条", defect=ANY_DEFECT, from_offence=1,
                          text="初次交坏蛋的，警告。", warning=True)
    Clause.objects.create(charter=charter, number="第六条", defect=ANY_DEFECT, from_offence=2,
                          text="第二次的，每枚坏蛋罚款。", fine_per_egg=per_egg)
    Clause.objects.create(charter=charter, number="第七条", defect=ANY_DEFECT, from_offence=3,
                          text="第三次的，加倍罚款并张榜公示。", fine_per_egg=per_egg * 2, public_notice=True)
    Clause.objects.create(charter=charter, number="第八条", defect=ANY_DEFECT, from_offence=4,
                          text="第四次及以上的，暂停收购十五天。", fine_per_egg=per_egg * 2, suspension_days=15,
                          public_notice=True)
    return charter


def jpeg_with_gps(size=(64, 48)):
    """A real JPEG carrying EXIF with a GPS position (what a phone camera writes)."""
    img = Image.new("RGB", size, (120, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (28.0, 19.0, 12.0)
    gps[3] = "E"
    gps[4] = (102.0, 25.0, 30.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def photo_upload(name="egg.jpg", content=None):
    return SimpleUploadedFile(name, content if content is not None else jpeg_with_gps(), content_type="image/jpeg")


def wav_bytes(seconds=1, rate=8000):
    """A real voice-note file: mono 16-bit WAV of a 440 Hz tone, as a phone's recorder app saves one."""
    import math
    import struct
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return buf.getvalue()


def voice_upload(name="voice.wav", content=None, content_type="audio/wav"):
    return SimpleUploadedFile(name, content if content is not None else wav_bytes(), content_type=content_type)


def confirm(report, user, **kw):
    from quality.services.reports import confirm_report

    return confirm_report(report, user=user, **kw)


def report_on(batch, eggs=2, defect="rotten", **kw):
    from quality.services.reports import submit_report

    kw.setdefault("rate_limited", False)
    report, _merged = submit_report(batch=batch, eggs=eggs, defect=defect, **kw)
    return report


def close_window(penalty):
    """Move the appeal deadline into the past, as if the days had gone by."""
    from quality.models import Penalty

    Penalty.objects.filter(pk=penalty.pk).update(appeal_deadline=timezone.now() - datetime.timedelta(seconds=1))
    penalty.refresh_from_db()


# --- the shop: a product in stock, a group buy, a buyer's address ------------------------------------------

ADDRESS = {"recipient": "张三", "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号"}


@dataclass
class Shop:
    coop: object
    product: object
    batch: object
    pickup: object
    buyer: object  # Buyer row of personas.buyer


def make_product(coop, **kw):
    from orders.models import Product

    defaults = dict(name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10, price=Decimal("39.90"), per_order_limit=10)
    defaults.update(kw)
    return Product.objects.create(cooperative=coop, **defaults)


def make_group_buy(shop, leader, **kw):
    from orders.models import GroupBuy

    now = timezone.now()
    defaults = dict(code=f"G{GroupBuy.objects.count() + 1:05d}", title="尔吉村绿壳蛋接龙", product=shop.product,
                    price=Decimal("35.00"), stock_cap=8, per_person_limit=3,
                    starts_at=now - datetime.timedelta(hours=1),
                    deadline=now + datetime.timedelta(days=1), pickup_point=shop.pickup, leader=leader,
                    leader_name="阿果")
    defaults.update(kw)
    return GroupBuy.objects.create(cooperative=shop.coop, **defaults)


def make_shop(personas):
    from orders.models import Buyer, PickupPoint

    coop = personas.coop_a
    product = make_product(coop)
    batch = make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
    buyer = Buyer.objects.create(user=personas.buyer, name="张三", phone="13800001234")
    return Shop(coop=coop, product=product, batch=batch, pickup=pickup, buyer=buyer)


# --- the pairing programmes: eggs through real intake, a 紫南村–莫谷村 programme, an institution ----------

PAIRING_ADDRESS = {"recipient": "李主任", "phone": "13800001234", "address": "佛山市禅城区紫南村 1 号 食堂"}


@dataclass
class Pairing:
    coop: object
    village: object  # 莫谷村
    other_village: object
    farmers: list
    batches: list
    product: object
    programme: object
    org: object
    buyer: object
    other_buyer: object  # a plain buyer, no organisation


def deliver_yesterday(farmer, eggs, *, wc="L"):
    from coop.services.intake import record_delivery

    day = timezone.localdate() - datetime.timedelta(days=1)
    return record_delivery(farmer=farmer, laid_from=day, accepted={wc: eggs})


def make_pairing(personas):
    from orders.models import Buyer, Product
    from orders.models.programmes import BuyerAffiliation, BuyerOrganisation, Programme

    deliver = deliver_yesterday
    coop = personas.coop_a
    today = timezone.localdate()
    PriceSchedule.objects.create(cooperative=coop, weight_class="L", price_per_egg=Decimal("1.37"),
                                 effective_from=today - datetime.timedelta(days=60))
    mogu = make_village(coop, name="莫谷村")
    zhuogu = make_village(coop, name="桌古村")
    farmers = [make_farmer(coop, mogu, head_name="吉克阿牛", hens=200), make_farmer(coop, mogu, hens=200),
               make_farmer(coop, zhuogu, hens=200)]
    # Batch 1: 30 + 20 eggs from two 莫谷村 households; batch 2: 30 eggs from 桌古村 and 20 from 莫谷村.
    d = [deliver(farmers[0], 30), deliver(farmers[1], 20), deliver(farmers[2], 30), deliver(farmers[1], 25)]
    b1 = make_batch(coop, deliveries=[d[0], d[1]], weight_class="L", pack_size=10, boxes=5, code="HBLA-P1")
    b2 = make_batch(coop, deliveries=[d[2], d[3]], weight_class="L", pack_size=10, boxes=5, code="HBLA-P2")
    # make_batch packs earliest best-before first by our order of creation; push b2 later.
    b2.best_before = b1.best_before + datetime.timedelta(days=1)
    b2.save(update_fields=["best_before"])
    product = Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                                     price=Decimal("39.90"), per_order_limit=10)
    programme = Programme.objects.create(
        cooperative=coop, code="ZNMG16", name="紫南村—莫谷村结对帮扶", east_organisation="佛山市禅城区紫南村",
        east_city="佛山市", east_province="广东省", starts_on=today - datetime.timedelta(days=365))
    programme.villages.add(mogu)
    org = BuyerOrganisation.objects.create(cooperative=coop, name="佛山市禅城区某机关食堂",
                                           kind=BuyerOrganisation.INSTITUTION, contact_phone="13800009999")
    org.programmes.add(programme)
    buyer = Buyer.objects.create(user=personas.buyer, name="李主任", phone="13800001234",
                                 kind=Buyer.INSTITUTION)
    BuyerAffiliation.objects.create(buyer=buyer, organisation=org)
    other = Buyer.objects.create(user=make_user("walkin"), name="王五", phone="13900005678")
    return Pairing(coop=coop, village=mogu, other_village=zhuogu, farmers=farmers, batches=[b1, b2],
                   product=product, programme=programme, org=org, buyer=buyer, other_buyer=other)


def place(pairing, boxes, *, buyer=None, code="ZNMG16"):
    """Place an order and attribute it the way the shop does after /shop/p/<code>."""
    from orders.services import orders as order_service

    buyer = buyer or pairing.buyer
    order, _created = order_service.place_order(
        buyer=buyer, items=[order_service.Item(pairing.product, boxes)], address=PAIRING_ADDRESS,
        programme_code=code)
    return order


def pay(order, manager):
    from orders.services import payments

    payments.record_offline_payment(order, reference=f"转账-{order.pk}", user=manager)
    order.refresh_from_db()
    return order


def buy(pairing, boxes, manager, *, pack=True, **kw):
    from orders.services import orders as order_service

    order = pay(place(pairing, boxes, **kw), manager)
    if pack:
        order_service.pack_order(order, user=manager)
        order.refresh_from_db()
    return order


# --- WeChat Pay: the real provider against the local APIv3 server ------------------------------------------

MCHID, WECHAT_APPID = "1230000109", "wxd678efh567hg6787"
APIV3_KEY = "a12d3924fd499edac8a5efc1a2b3c4d5"
SERIAL = "444F4864EA9B34415ABCDEF0123456789ABCDEF0"


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def start_local_wechat(settings, tmp_path, *, mode="public_key", refund_instantly=False):
    """A fresh merchant key pair (written to the test's temp dir, never committed), the local APIv3 server
    holding its public key, and the shop's settings pointing at it: only the gateway differs from production."""
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = LocalApiV3(mchid=MCHID, appid=WECHAT_APPID, apiv3_key=APIV3_KEY,
                     merchant_public_key_pem=_pem_public(merchant), merchant_serial=SERIAL, mode=mode,
                     refund_instantly=refund_instantly)
    api.merchant_private_key = merchant
    url = api.start()
    (tmp_path / "apiclient_key.pem").write_text(pem_private(merchant))
    (tmp_path / "platform.pem").write_text(api.platform_file_pem())
    settings.PAYMENT_PROVIDER = "wechat"
    settings.WECHATPAY_GATEWAY = url
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = MCHID, WECHAT_APPID
    settings.WECHATPAY_APIV3_KEY, settings.WECHATPAY_CERT_SERIAL = APIV3_KEY, SERIAL
    settings.WECHATPAY_PRIVATE_KEY_FILE = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_PLATFORM_CERT_FILE = str(tmp_path / "platform.pem")
    settings.WECHATPAY_PUBLIC_KEY_ID = api.public_key_id if mode == "public_key" else ""
    return api
