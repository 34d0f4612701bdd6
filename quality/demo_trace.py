"""Demo: every batch gets a trace code, a compliance certificate and some scans; the newest batch
of each cooperative gets serialised box codes, one of them "cloned" (scanned from many networks) so
the manager's suspicion flag has something to show. Labels are made on demand from the batch's
trace page in the admin. Deterministic and safe to run twice (scan uids are fixed)."""

import datetime
import random

from django.utils import timezone

from coop.models import Batch
from quality.models import ComplianceCertificate, Scan
from quality.services.trace import ensure_trace_code, issue_box_codes, issue_certificate

BROWSERS = ["wechat", "wechat", "wechat", "safari", "chrome", "alipay"]
LANGUAGES = ["zh-CN", "zh-CN", "zh-CN", "zh-TW", "en-US"]
BASES = [ComplianceCertificate.QUALITY_CONTROL, ComplianceCertificate.SELF_TEST, ComplianceCertificate.LAB_TEST]


def seed(stdout=None):
    batches = list(Batch.objects.select_related("cooperative").order_by("cooperative_id", "packed_at", "id"))
    if not batches:
        if stdout:
            stdout.write("quality.demo_trace: no batches yet (the books' demo packs them); nothing to trace")
        return {"batches": 0}
    newest = {}
    scans = []
    for n, batch in enumerate(batches):
        trace = ensure_trace_code(batch)
        issue_certificate(batch, basis=BASES[n % len(BASES)])
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
        stdout.write(f"quality.demo_trace: {len(batches)} batches traced, {len(scans)} demo scans")
    return {"batches": len(batches), "scans": len(scans)}
