"""The demo collective: 贺波洛乡 in 凉山, with its villages and households, and a second, smaller
cooperative to check that managers only ever see their own.

Deterministic (fixed random seed) and safe to run twice: rows are found by natural keys first.
Later parts of the product extend the demo through their own ``<app>.demo.seed``."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from coop.lib.validators import format_mobile
from coop.models import (
    Batch,
    Cooperative,
    Delivery,
    Donation,
    Farmer,
    FarmerLogin,
    HygieneInspection,
    Notification,
    PriceSchedule,
    Settlement,
    Staff,
    Village,
)
from coop.services import fund
from coop.services.batches import set_batch_status
from coop.services.farmers import _ensure_user, name_keys
from coop.services.intake import record_delivery
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period

DEMO_PASSWORD = "greenshell"


SURNAMES = ["吉克", "阿苏", "沙马", "俄底", "马海", "阿尔", "吉伍", "曲比", "勒格", "海来",
            "吉则", "阿约", "木乃", "瓦扎", "尔古", "果基", "阿西", "加拉", "克其", "的日"]


GIVEN = ["拉哈", "阿牛", "木呷", "日古", "阿依", "伍沙", "尔坡", "石布", "子哈", "补都",
         "阿果", "尔呷", "金古", "拉则", "阿呷", "友布", "此尔", "阿支"]


DEMO_USERS = [
    # username, role, cooperative producer code, label printed by `make run`
    ("manager", Staff.MANAGER, "HBL", "贺波洛乡合作社管理员"),
    ("inspector", Staff.INSPECTOR, "HBL", "贺波洛乡验收员"),
    ("committee", Staff.COMMITTEE, "HBL", "贺波洛乡村民议事会"),
    ("manager2", Staff.MANAGER, "ZHX", "第二个合作社（检查数据隔离）"),
]


def _user(username, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=extra)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _household_name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _farmers(coop, villages, count, rng, prefix):
    statuses = [Farmer.POVERTY_MONITORED] * 5 + [Farmer.POVERTY_REGISTERED] * 2 + [Farmer.POVERTY_NONE] * 3
    for n in range(1, count + 1):
        member_no = f"{prefix}{n:03d}"
        village = villages[(n - 1) % len(villages)]
        head_name = _household_name(rng)
        Farmer.objects.get_or_create(
            cooperative=coop, member_no=member_no,
            defaults=dict(
                village=village,
                head_name=head_name,
                **name_keys(head_name),  # found by pinyin like any household the service saves
                phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                poverty_status=rng.choice(statuses),
                hens=rng.randrange(12, 45),
                payout_method=rng.choice([Farmer.PAYOUT_WECHAT, Farmer.PAYOUT_WECHAT, Farmer.PAYOUT_BANK]),
                payout_account=f"62{rng.randrange(10**14):014d}",
                stamp_code=f"{prefix}{n:02d}" if n % 3 else "",
                joined_on=datetime.date(2025, 3, 1) + datetime.timedelta(days=n),
            ),
        )


def seed(stdout=None):
    rng = random.Random(2026)
    hbl, _ = Cooperative.objects.get_or_create(
        producer_code="HBL",
        defaults=dict(
            name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋",
            township="贺波洛乡", county="喜德县", prefecture="凉山彝族自治州", province="四川省",
            phone="0834-1234567", address="四川省凉山彝族自治州喜德县贺波洛乡尔吉村",
        ),
    )
    villages = [
        Village.objects.get_or_create(cooperative=hbl, name=name,
                                      defaults={"township": "贺波洛乡", "altitude_m": alt})[0]
        for name, alt in [("桌古村", 2480), ("尔吉村", 2350), ("莫谷村", 2210)]
    ]
    _farmers(hbl, villages, 30, rng, "EJ")

    zhx, _ = Cooperative.objects.get_or_create(
        producer_code="ZHX",
        defaults=dict(
            name="竹核乡土鸡蛋合作社", short_name="竹核土鸡蛋",
            township="竹核乡", county="昭觉县", prefecture="凉山彝族自治州", province="四川省",
            phone="0834-7654321",
        ),
    )
    zhx_village, _ = Village.objects.get_or_create(cooperative=zhx, name="木渣洛村",
                                                   defaults={"township": "竹核乡", "altitude_m": 2100})
    _farmers(zhx, [zhx_village], 6, rng, "ZH")

    coops = {"HBL": hbl, "ZHX": zhx}
    for username, role, code, _label in DEMO_USERS:
        user = _user(username, is_staff=True, first_name=_label[:30])
        Staff.objects.get_or_create(user=user, cooperative=coops[code], role=role)
    seed_books(hbl, zhx, stdout)  # deliveries, batches, a settled month, the fund
    return {"cooperatives": [hbl, zhx]}


SEASON_DAYS = 48


EVERY_DAYS = 4


PRICES = {"XL": "1.80", "L": "1.50", "M": "1.20", "S": "1.00"}


def _prices(coop, season_start):
    for wc, price in PRICES.items():
        PriceSchedule.objects.get_or_create(cooperative=coop, weight_class=wc, effective_from=season_start,
                                            defaults={"price_per_egg": Decimal(price)})
    # A price rise at the start of this month: older deliveries keep their old price.
    first = timezone.localdate().replace(day=1)
    PriceSchedule.objects.get_or_create(cooperative=coop, weight_class="L", effective_from=first,
                                        defaults={"price_per_egg": Decimal("1.60")})


def _delivery_counts(rng, farmer, days):
    laid = max(6, int(farmer.hens * days * rng.uniform(0.45, 0.7)))
    rejected = {"cracked": rng.randrange(0, 3), "dirty": rng.randrange(0, 3)}
    if rng.random() < 0.12:
        rejected["rotten"] = rng.randrange(1, 4)
    if rng.random() < 0.1:
        rejected["blood"] = 1
    good = max(0, laid - sum(rejected.values()))
    xl = int(good * rng.uniform(0.05, 0.15))
    small = int(good * rng.uniform(0.05, 0.12))
    m = int(good * rng.uniform(0.25, 0.35))
    return {"XL": xl, "L": good - xl - small - m, "M": m, "S": small}, rejected


def _season(coop, inspector, rng, days=SEASON_DAYS):
    today = timezone.localdate()
    farmers = list(Farmer.objects.filter(cooperative=coop, active=True).order_by("member_no"))
    pack_days = sorted({today - datetime.timedelta(days=d) for d in (40, 30, 20, 11, 3)})
    for offset in range(days, 0, -1):
        day = today - datetime.timedelta(days=offset)
        received = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
        for i, farmer in enumerate(farmers):
            if (offset + i) % EVERY_DAYS:
                continue
            if farmer.is_suspended(day):
                continue
            accepted, rejected = _delivery_counts(rng, farmer, EVERY_DAYS)
            record_delivery(
                farmer=farmer, laid_from=day - datetime.timedelta(days=EVERY_DAYS - 1), laid_to=day,
                accepted=accepted, rejected=rejected, inspector=inspector,
                received_at=received + datetime.timedelta(minutes=3 * i),
                idempotency_key=f"demo-books-{coop.producer_code}-{farmer.member_no}-{day:%Y%m%d}",
                send_receipt=False)
        if day in pack_days:
            _pack(coop, day)


def _pack(coop, day):
    manager = Staff.objects.filter(cooperative=coop, role=Staff.MANAGER).select_related("user").first()
    stock = available_stock(coop, today=day)
    for wc, pack_size in (("L", 10), ("M", 15), ("XL", 10)):
        boxes = int(stock[wc] * 0.8) // pack_size
        if boxes:
            try:
                batch = pack_batch(cooperative=coop, weight_class=wc, pack_size=pack_size, boxes=boxes,
                                   user=manager.user if manager else None, today=day)
            except PackingError:
                continue
            packed_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(16, 0)))
            Batch.objects.filter(pk=batch.pk).update(packed_at=packed_at)
            if batch.best_before < timezone.localdate():
                set_batch_status(batch, Batch.EXPIRED, reason="演示：超过保质期")


def _settle_last_month(coop, manager):
    last_month_day = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start, end = month_bounds(last_month_day)
    if Settlement.objects.filter(cooperative=coop, period_start=start).exists():
        return
    settle_period(period_start=start, period_end=end, cooperative_ids=[coop.pk], user=manager)
    for s in Settlement.objects.filter(cooperative=coop, period_start=start).select_related("farmer"):
        approve_settlement(s, user=manager)
        pay_settlement(s, reference=f"WXB{end:%Y%m}{s.farmer.member_no}", user=manager)


def _fund(coop, manager, village):
    if Donation.objects.filter(cooperative=coop, donor="佛山市禅城区紫南村").exists():
        return
    today = timezone.localdate()
    fund.record_donation(cooperative=coop, donor="佛山市禅城区紫南村", amount="20000.00", hygiene_reserve="3000.00",
                         purpose="东西部协作：鸡舍改造，部分留作卫生评比奖励",
                         received_on=today - datetime.timedelta(days=40), user=manager)
    farmers = list(Farmer.objects.filter(cooperative=coop, village=village, active=True).order_by("member_no")[:6])
    scores = {f: 98 - 6 * i for i, f in enumerate(farmers)}
    inspection = fund.record_inspection(cooperative=coop, village=village, scores=scores,
                                        inspected_on=today - datetime.timedelta(days=6),
                                        inspectors="村两委、驻村工作队", note="鸡舍、院坝、蛋箱卫生评比", user=manager)
    for score in inspection.scores.order_by("-score")[:3]:
        fund.award_hygiene(score, amount="200.00", user=manager)


def seed_books(hbl, zhx, stdout=None):
    if Delivery.objects.filter(cooperative=hbl).exists() or HygieneInspection.objects.filter(cooperative=hbl).exists():
        return
    rng = random.Random(1128)
    today = timezone.localdate()
    season_start = today - datetime.timedelta(days=SEASON_DAYS + 30)
    inspector = Staff.objects.filter(cooperative=hbl, role=Staff.INSPECTOR).first()
    manager = Staff.objects.filter(cooperative=hbl, role=Staff.MANAGER).first()
    inspector = inspector.user if inspector else None
    manager = manager.user if manager else None
    for coop in (hbl, zhx):
        _prices(coop, season_start)
    _season(hbl, inspector, rng)
    _season(zhx, None, rng, days=12)
    _settle_last_month(hbl, manager)
    _fund(hbl, manager, hbl.villages.order_by("-altitude_m").first())
    if stdout:
        stdout.write(f"books: {Delivery.objects.filter(cooperative=hbl).count()} deliveries, "
                     f"{Batch.objects.filter(cooperative=hbl).count()} batches, last month settled and paid; "
                     "intake /intake/, packing /books/pack/, settlement /books/settle/\n")


DEMO_PIN = "123456"


def seed_household_logins(stdout=None):
    farmers = list(Farmer.objects.filter(cooperative__producer_code="HBL", active=True, login__isnull=True)
                   .order_by("member_no"))
    if farmers:
        pin_hash = make_password(DEMO_PIN)
        for farmer in farmers:
            _ensure_user(farmer)
            FarmerLogin.objects.create(farmer=farmer, pin_hash=pin_hash)
    # Show a household that has something to look at: a penalty notice (sent by the charter's demo).
    fined = (Notification.objects.filter(event="penalty.notified", farmer__cooperative__producer_code="HBL")
             .order_by("farmer__member_no").values_list("farmer", flat=True).first())
    first = (Farmer.objects.filter(pk=fined).first() if fined else None) or Farmer.objects.filter(
        cooperative__producer_code="HBL", login__isnull=False).order_by("member_no").first()
    if stdout is not None and first is not None:
        stdout.write(f"Farmer pages: /farmer/login/ with any demo household's mobile and PIN {DEMO_PIN}, "
                     f"e.g. {format_mobile(first.phone)} ({first.member_no} {first.head_name}).")
