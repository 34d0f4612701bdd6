"""Demo books: a season of deliveries with intake grading, packed batches, a settled and paid month,
a donation with its hygiene reserve and a hygiene award. Deterministic; skipped if already there.

Everything goes through the real services (intake, packing, settlements, fund), so the demo data
obeys the same rules as real data: ledger credits, FIFO contributions, pay-once, fund ≥ 0.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from coop.models import Batch, Delivery, Donation, Farmer, HygieneInspection, PriceSchedule, Settlement, Staff
from coop.services import fund
from coop.services.batches import set_batch_status
from coop.services.intake import record_delivery
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period

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


def seed(hbl, zhx, stdout=None):
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
