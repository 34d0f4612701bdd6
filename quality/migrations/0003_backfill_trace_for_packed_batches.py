"""Backfill what a packed batch now gets while it is packed — trace code, one box code per box,
承诺达标合格证 — for batches packed before that, when GETs made them on first view (issue 12, item 6).

Historical models only (``apps.get_model``), so the services are copied, not imported: a migration
must keep doing what it did when it was written. Idempotent: only missing rows are made. No audit
events: these rows are what the old code would have made silently on the first GET.
"""

import secrets

from django.db import migrations
from django.utils import timezone

# Frozen copies of quality.models.TRACE_ALPHABET / TRACE_CODE_LENGTH and of MAX_BOXES_PER_BATCH.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
MAX_BOXES = 20000
CHUNK = 1000


def _new_code(used):
    while True:
        code = "".join(secrets.choice(ALPHABET) for _i in range(LENGTH))
        if code not in used:
            used.add(code)
            return code


def backfill(apps, schema_editor):
    Batch = apps.get_model("coop", "Batch")
    TraceCode = apps.get_model("quality", "TraceCode")
    BoxCode = apps.get_model("quality", "BoxCode")
    Certificate = apps.get_model("quality", "ComplianceCertificate")
    BatchContribution = apps.get_model("coop", "BatchContribution")
    db = schema_editor.connection.alias  # the database being migrated (CI also migrates a replica)

    # Batch and box codes are looked up in one namespace by the scan page: avoid both.
    used = set(TraceCode.objects.using(db).values_list("code", flat=True)) | set(BoxCode.objects.using(db).values_list("code", flat=True))
    missing_trace = Batch.objects.using(db).filter(trace__isnull=True).order_by("pk")
    TraceCode.objects.using(db).bulk_create([TraceCode(batch_id=pk, code=_new_code(used))
                                   for pk in missing_trace.values_list("pk", flat=True)], batch_size=CHUNK)

    boxes = []
    for trace_id, wanted in TraceCode.objects.using(db).filter(batch__boxes__gt=0).values_list("pk", "batch__boxes"):
        have = set(BoxCode.objects.using(db).filter(trace_id=trace_id).values_list("serial", flat=True))
        boxes += [BoxCode(trace_id=trace_id, serial=n, code=_new_code(used))
                  for n in range(1, min(wanted, MAX_BOXES) + 1) if n not in have]
        if len(boxes) >= CHUNK:
            BoxCode.objects.using(db).bulk_create(boxes, batch_size=CHUNK)
            boxes = []
    BoxCode.objects.using(db).bulk_create(boxes, batch_size=CHUNK)

    certificates = []
    for batch in Batch.objects.using(db).filter(certificate__isnull=True).select_related("cooperative").order_by("pk"):
        coop = batch.cooperative
        villages = sorted(set(BatchContribution.objects.using(db).filter(batch_id=batch.pk)
                              .values_list("delivery__farmer__village__name", flat=True)))
        origin = f"{coop.province}{coop.prefecture}{coop.county}{coop.township}" + "、".join(villages)
        certificates.append(Certificate(
            batch_id=batch.pk, number=f"HG-{batch.code}", product_name=coop.product_name,
            quantity=f"{batch.eggs} 枚（{batch.boxes} 盒 × {batch.pack_size} 枚）",
            producer_name=coop.name, origin=origin[:200], phone=coop.phone or "",
            basis="quality_control", issued_on=timezone.localdate(batch.packed_at)))
    Certificate.objects.using(db).bulk_create(certificates, batch_size=CHUNK)


class Migration(migrations.Migration):

    dependencies = [
        ("coop", "0003_books_fund_and_settlement_runs"),
        ("quality", "0002_trace_codes_scans_certificates"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
