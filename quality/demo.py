"""Demo data of the quality app: traceability first (labels, scans), then the charter."""

import datetime
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from coop.models import Batch, Cooperative, Farmer, LedgerEntry, PriceSchedule, Staff
from coop.services.intake import record_delivery
from coop.services.packing import pack_batch
from quality.models import ANY_DEFECT, Appeal, BadEggReport, Charter, Clause, ComplianceCertificate, Penalty, Scan
from quality.services import appeals, penalties, reports
from quality.services.trace import ensure_trace_code, issue_box_codes, issue_certificate


def seed(stdout=None):
    seed_trace(stdout)
    seed_charter(stdout)


BROWSERS = ["wechat", "wechat", "wechat", "safari", "chrome", "alipay"]


LANGUAGES = ["zh-CN", "zh-CN", "zh-CN", "zh-TW", "en-US"]


BASES = [ComplianceCertificate.QUALITY_CONTROL, ComplianceCertificate.SELF_TEST, ComplianceCertificate.LAB_TEST]


def seed_trace(stdout=None):
    batches = list(Batch.objects.select_related("cooperative").order_by("cooperative_id", "packed_at", "id"))
    if not batches:
        if stdout:
            stdout.write("quality.demo: no batches yet (the books' demo packs them); nothing to trace")
        return {"batches": 0}
    newest = {}
    scans = []
    for n, batch in enumerate(batches):
        trace = ensure_trace_code(batch)
        cert = issue_certificate(batch, basis=BASES[n % len(BASES)])
        # Packing issued it today with the default basis; the demo backdates its batches, so its
        # certificates follow (dated the packing day) and show every basis. Demo data only.
        ComplianceCertificate.objects.filter(pk=cert.pk).update(basis=BASES[n % len(BASES)],
                                                                issued_on=timezone.localdate(batch.packed_at))
        newest[batch.cooperative_id] = (batch, trace)
        rng = random.Random(f"scan-{batch.code}")
        packed = batch.packed_at
        span = max(1, min((timezone.now() - packed).days, 30))
        for i in range(rng.randrange(4, 16)):
            scans.append(Scan(
                uid=f"demo-{batch.code}-{i}", trace=trace,
                scanned_at=packed + datetime.timedelta(days=rng.randrange(span), minutes=rng.randrange(1440)),
                network_hash=f"demo{rng.randrange(40):012d}", browser=rng.choice(BROWSERS),
                language=rng.choice(LANGUAGES)))
    for batch, trace in newest.values():
        issue_box_codes(trace, min(batch.boxes, 24))
        box = trace.boxes.order_by("serial").first()
        for i in range(6):  # one label copied and scanned in six towns: the clone flag shows it
            scans.append(Scan(uid=f"demo-{batch.code}-clone-{i}", trace=trace, box=box,
                              scanned_at=batch.packed_at + datetime.timedelta(days=1, hours=i),
                              network_hash=f"clone{i:011d}", browser="wechat", language="zh-CN"))
    Scan.objects.bulk_create(scans, ignore_conflicts=True)
    if stdout:
        stdout.write(f"quality.demo: {len(batches)} batches traced, {len(scans)} demo scans")
    return {"batches": len(batches), "scans": len(scans)}


CHARTER_TEXT = """贺波洛乡绿壳蛋合作社村民自治公约

第一条 为了守住“高山散养绿壳蛋”的牌子，全体社员共同遵守本公约。
第二条 交给合作社的鸡蛋必须是七天内新鲜产的、干净的、没有裂纹的。
第三条 每户鸡蛋喷上本户的代码，坏蛋能查到户。
第四条 顾客、买家或验收员发现坏蛋，由合作社核实；查不到户的，由同批次交蛋各户按交蛋枚数分摊。
第五条 初次违约的，警告。
第六条 第二次违约的，每枚坏蛋罚款二元。
第七条 第三次违约的，每枚坏蛋罚款四元，并在村公示栏公示。
第八条 第四次及以上违约的，每枚坏蛋罚款四元，暂停收购十五天，并公示。
第九条 处罚先告知本户；本户七天内可以向村民议事会申诉，议事会可以维持、减轻或免除处罚。
第十条 卫生评比先进户在公示栏红榜表扬。"""


def _clauses(charter, per_egg):
    steps = [
        ("第五条", 1, "初次违约的，警告。", dict(warning=True)),
        ("第六条", 2, "第二次违约的，每枚坏蛋罚款。", dict(fine_per_egg=per_egg)),
        ("第七条", 3, "第三次违约的，加倍罚款，并在村公示栏公示。", dict(fine_per_egg=per_egg * 2, public_notice=True)),
        ("第八条", 4, "第四次及以上违约的，加倍罚款，暂停收购十五天，并公示。",
         dict(fine_per_egg=per_egg * 2, suspension_days=15, public_notice=True)),
    ]
    for number, n, text, sanction in steps:
        Clause.objects.get_or_create(charter=charter, defect=ANY_DEFECT, from_offence=n,
                                     defaults=dict(number=number, text=text, **sanction))
    Clause.objects.get_or_create(charter=charter, defect="mouldy", from_offence=1, defaults=dict(
        number="第六条之一", text="交霉蛋的，初次即每枚罚款。", fine_per_egg=per_egg))


def _photo(seed):
    img = Image.new("RGB", (480, 360), (236, 240, 228))
    draw = ImageDraw.Draw(img)
    draw.ellipse((150 + seed * 10, 80, 330 + seed * 10, 300), fill=(196, 214, 186), outline=(90, 110, 80), width=4)
    draw.ellipse((215 + seed * 10, 160, 265 + seed * 10, 210), fill=(120, 90, 40))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return SimpleUploadedFile(f"demo{seed}.jpg", buf.getvalue(), content_type="image/jpeg")


def _batches(coop, manager, needed=3):
    batches = list(Batch.objects.filter(cooperative=coop, contributions__isnull=False).distinct().order_by("id"))
    if len(batches) >= needed:
        return batches[:needed]

    today = timezone.localdate()
    for wc, price in (("XL", "1.80"), ("L", "1.50"), ("M", "1.30"), ("S", "1.10")):
        if not PriceSchedule.objects.filter(cooperative=coop, weight_class=wc, effective_from__lte=today).exists():
            PriceSchedule.objects.create(cooperative=coop, weight_class=wc, price_per_egg=price,
                                         effective_from=today - datetime.timedelta(days=60))
    farmers = list(Farmer.objects.filter(cooperative=coop, active=True).order_by("member_no")[:6])
    for i, farmer in enumerate(farmers):
        record_delivery(farmer=farmer, laid_from=today - datetime.timedelta(days=2), accepted={"L": 20 + 5 * i},
                        inspector=manager, idempotency_key=f"demo-charter-{farmer.member_no}")
    while len(batches) < needed:
        batches.append(pack_batch(cooperative=coop, weight_class="L", pack_size=10, boxes=3, user=manager))
    return batches


def _backdate(report, days):
    BadEggReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    report.refresh_from_db()
    return report


def _close_and_apply(penalty_list):
    Penalty.objects.filter(pk__in=[p.pk for p in penalty_list]).update(
        appeal_deadline=timezone.now() - datetime.timedelta(minutes=1))
    penalties.apply_due_penalties()


def seed_charter(stdout=None):
    coop = Cooperative.objects.filter(producer_code="HBL").first()
    if coop is None or Charter.objects.filter(cooperative=coop).exists():
        return
    staff = {s.role: s.user for s in Staff.objects.filter(cooperative=coop).select_related("user")}
    manager, committee = staff.get(Staff.MANAGER), staff.get(Staff.COMMITTEE)
    if manager is None or committee is None:
        return

    with transaction.atomic():
        v1 = Charter.objects.create(
            cooperative=coop, version=1, title="村民自治公约", text=CHARTER_TEXT,
            adopted_on=datetime.date(2025, 5, 20), effective_from=datetime.date(2025, 6, 1),
            assembly_attendance=27, votes_for=25, votes_against=1, votes_abstain=1,
            assembly_record="2025年5月20日在尔吉村活动室召开社员大会，应到30户，实到27户，举手表决通过。",
            created_by=manager)
        _clauses(v1, Decimal("1.00"))
        v2 = Charter.objects.create(
            cooperative=coop, version=2, title="村民自治公约（2026年修订）", text=CHARTER_TEXT,
            adopted_on=datetime.date(2026, 8, 15), effective_from=datetime.date(2026, 9, 1),
            assembly_attendance=29, votes_for=26, votes_against=2, votes_abstain=1,
            assembly_record="2026年8月15日社员大会：因坏蛋投诉增多，第六条罚款由每枚一元提高到二元。",
            created_by=manager)
        _clauses(v2, Decimal("2.00"))

        b1, b2, b3 = _batches(coop, manager)
        stamped = (Farmer.objects.filter(cooperative=coop).exclude(stamp_code="")
                   .filter(deliveries__contributions__batch=b1).order_by("member_no").first())
        stamp = stamped.stamp_code if stamped else ""

        def report(batch, eggs, defect, days, **kw):
            kw.setdefault("rate_limited", False)
            r, _merged = reports.submit_report(batch=batch, eggs=eggs, defect=defect, **kw)
            return _backdate(r, days)

        # One household, three offences: warning applied, fine applied, doubled fine on the notice board.
        r1 = report(b1, 1, "dirty", 40, stamp_code=stamp, source=BadEggReport.SOURCE_INSPECTOR, user=manager)
        _close_and_apply(reports.confirm_report(r1, user=manager, reason="包装时发现，喷码清楚"))
        r2 = report(b1, 3, "cracked", 20, stamp_code=stamp, photos=[_photo(1)], note="盒子里三枚裂了")
        _close_and_apply(reports.confirm_report(r2, user=manager, reason="照片清楚，喷码属实"))
        r3 = report(b1, 2, "rotten", 6, stamp_code=stamp, photos=[_photo(2), _photo(3)], note="打开就臭",
                    contact_name="王女士", contact_phone="13800001234")
        _close_and_apply(reports.confirm_report(r3, user=manager, reason="臭蛋两枚，喷码属实"))

        # Shared by the batch's households: notified, appeal window open.
        r4 = report(b2, 4, "blood", 2, photos=[_photo(4)])
        shared = reports.confirm_report(r4, user=manager, reason="无喷码，按公约第四条分摊")
        # One of them appeals (the manager writes it down for the household): waiting for the committee.
        if shared:
            appeals.file_appeal(shared[0], user=manager, grounds="户主说这几天的蛋都照过，没有血斑。")

        # Waived on appeal, and applied-then-reversed.
        r5 = report(b3, 2, "rotten", 3, photos=[_photo(5)])
        hit = reports.confirm_report(r5, user=manager, reason="无喷码，按枚数分摊")
        if hit:
            a = appeals.file_appeal(hit[0], user=manager, grounds="那天送来的蛋由验收员照过，是运输途中坏的。")
            appeals.decide_appeal(a, user=committee, decision=Appeal.WAIVED,
                                  members_present="吉克阿牛、阿苏日古、沙马阿依（主持）",
                                  reason="运输记录显示当天车辆颠簸，不能认定是农户的责任。")
        if len(hit) > 1:
            _close_and_apply(hit[1:2])
            penalties.reverse_penalty(Penalty.objects.get(pk=hit[1].pk), user=manager,
                                      reason="复查冷链记录，确认是仓库存放问题。")

        # Reports still open: received, investigating; and one dismissed.
        report(b2, 1, "other", 1, note="蛋壳颜色不够绿")
        start = report(b3, 2, "stuck_yolk", 1, photos=[_photo(6)])
        reports.start_investigation(start, user=manager, reason="联系顾客要更多照片")
        dismissed = report(b3, 5, "cracked", 4, note="快递盒压扁了")
        reports.dismiss_report(dismissed, user=manager, reason="快递途中压坏，不是农户的责任，已由快递赔付。")
    if stdout:
        fines = LedgerEntry.objects.filter(cooperative=coop, kind=LedgerEntry.FINE).count()
        stdout.write(f"charter: 2 versions, {BadEggReport.objects.filter(cooperative=coop).count()} reports, "
                     f"{Penalty.objects.filter(cooperative=coop).count()} penalties, {fines} fines posted\n")
