"""No writes on GET (issue 12, item 6): a packed batch gets its trace code, box codes and certificate
while it is packed; the certificate, scan page, labels, EPCIS and the trace API only look them up.
The scan page's one intended write is the scan itself: buffered in Redis (no SQL), or without Redis
one INSERT into quality_scan."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coop.models import AuditEvent, Batch
from coop.services.packing import PackingError, batch_packed, pack_batch
from quality.models import BoxCode, ComplianceCertificate, LabelSheet, Scan, TraceCode
from quality.services import scans
from quality.services.trace import trace_packed_batch
from tests.factories import deliver, make_batch, set_prices

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("quality.migrations.0003_backfill_trace_for_packed_batches").backfill

TRACED = (TraceCode, BoxCode, ComplianceCertificate, LabelSheet, AuditEvent)


def rows():
    return {m.__name__: m.objects.count() for m in TRACED}


def writes(ctx):
    return [q["sql"] for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))]


@pytest.fixture
def packed(personas):
    """A batch packed by the real packing service."""
    set_prices(personas.coop_a)
    # 40 eggs laid over two days by 30 hens: plausible, so the delivery is stock (not held for review)
    deliver(personas.farmer_a, accepted={"L": 40}, laid_days_ago=2, laid_to=timezone.localdate() - timedelta(days=1))
    return pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=4, user=personas.manager_a)


def test_packing_makes_the_trace_code_box_codes_and_certificate_once(packed, personas):
    assert TraceCode.objects.filter(batch=packed).count() == 1
    assert sorted(BoxCode.objects.filter(trace__batch=packed).values_list("serial", flat=True)) == [1, 2, 3, 4]
    cert = ComplianceCertificate.objects.get(batch=packed)
    assert cert.number == f"HG-{packed.code}" and "尔吉村" in cert.origin  # contributions were there
    assert cert.issued_by == personas.manager_a
    assert AuditEvent.objects.filter(action="batch.certificate_issued").count() == 1
    before = rows()
    batch_packed.send(sender=Batch, batch=packed, user=None)  # a second signal / retried hook
    trace_packed_batch(Batch.objects.get(pk=packed.pk))
    assert rows() == before


def test_a_failure_to_trace_rolls_the_packing_back(personas, monkeypatch):
    set_prices(personas.coop_a)
    # 40 eggs laid over two days by 30 hens: plausible, so the delivery is stock (not held for review)
    deliver(personas.farmer_a, accepted={"L": 40}, laid_days_ago=2, laid_to=timezone.localdate() - timedelta(days=1))

    def broken(*args, **kwargs):
        raise RuntimeError("certificate store down")

    monkeypatch.setattr("quality.services.trace.issue_certificate", broken)
    with pytest.raises(RuntimeError):
        pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=4)
    assert Batch.objects.count() == TraceCode.objects.count() == BoxCode.objects.count() == 0


def test_an_anonymous_get_of_the_certificate_pdf_writes_nothing(packed, client):
    code = packed.trace.code
    before = rows()
    with CaptureQueriesContext(connection) as ctx:
        for method in (client.get, client.head):
            r = method(f"/t/{code}/certificate.pdf")
            assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert writes(ctx) == [] and rows() == before


def test_an_anonymous_scan_writes_only_the_scan(packed, client):
    box = packed.trace.boxes.get(serial=2)
    before, scans_before = rows(), Scan.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        for path in (f"/t/{packed.trace.code}", f"/t/{box.code}"):
            assert client.get(path).status_code == 200
    assert rows() == before
    if scans.redis_client() is None:
        # Without Redis each scan is one INSERT into quality_scan — and nothing else is written.
        assert [w.split()[2].strip('"') for w in writes(ctx)] == ["quality_scan", "quality_scan"]
        assert Scan.objects.count() == scans_before + 2
    else:
        assert writes(ctx) == []  # buffered in Redis, written by flush_scans
    with CaptureQueriesContext(connection) as ctx:
        assert client.head(f"/t/{packed.trace.code}").status_code == 200  # HEAD: not even a scan
    assert writes(ctx) == []


def test_anonymous_epcis_and_manager_labels_and_api_write_nothing(packed, client, client_for, api_for, personas):
    manager = client_for(personas.manager_a)
    api = api_for(personas.manager_a)
    before = rows()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/t/{packed.trace.code}/epcis.json").status_code == 200
        for query in ("", "?format=a4-2x5", "?boxes=1", "?boxes=1&copies=3"):
            r = manager.get(f"/trace/batches/{packed.pk}/labels.pdf{query}")
            assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert manager.get(f"/trace/batches/{packed.pk}/label.png").status_code == 200
        assert manager.head(f"/trace/batches/{packed.pk}/label.png").status_code == 200
        item = api.get(f"/api/trace/batches/{packed.pk}/").json()
        assert item["trace_code"] == packed.trace.code
    assert writes(ctx) == [] and rows() == before


def test_more_box_labels_than_box_codes_is_a_post_not_a_get(packed, client_for, personas):
    manager = client_for(personas.manager_a)
    before = rows()
    r = manager.get(f"/trace/batches/{packed.pk}/labels.pdf?boxes=1&copies=10")
    assert r.status_code == 400 and "大批量标签" in r.content.decode()
    assert rows() == before


def old_batch(personas, **kw):
    """A batch as packed before this change: trace code from post_save, nothing else."""
    batch = make_batch(personas.coop_a, **kw)
    ComplianceCertificate.objects.filter(batch=batch).delete()
    BoxCode.objects.filter(trace__batch=batch).delete()
    return Batch.objects.get(pk=batch.pk)


def test_an_old_batch_without_certificate_answers_a_chinese_404_and_makes_none(personas, client, client_for):
    batch = old_batch(personas)
    before = rows()
    r = client.get(f"/t/{batch.trace.code}/certificate.pdf")
    assert r.status_code == 404 and "还没有开具承诺达标合格证" in r.content.decode()
    r = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/labels.pdf?boxes=1")
    assert r.status_code == 400
    TraceCode.objects.filter(batch=batch).delete()
    r = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/label.png")
    assert r.status_code == 404 and "还没有溯源码" in r.content.decode()
    assert ComplianceCertificate.objects.count() == before["ComplianceCertificate"]
    assert BoxCode.objects.count() == before["BoxCode"]


def test_the_migration_backfills_old_batches_once(personas, client):
    traced = make_batch(personas.coop_a)
    old = old_batch(personas, boxes=5)
    bare = old_batch(personas, boxes=2)
    TraceCode.objects.filter(batch=bare).delete()
    kept = {t.batch_id: t.code for t in TraceCode.objects.all()}
    backfill(apps, SimpleNamespace(connection=connection))  # the migration reads the alias
    for batch, boxes in ((traced, 3), (old, 5), (bare, 2)):
        trace = TraceCode.objects.get(batch=batch)
        assert trace.boxes.count() == boxes
        cert = ComplianceCertificate.objects.get(batch=batch)
        assert cert.number == f"HG-{batch.code}" and cert.origin.startswith(personas.coop_a.province)
    assert {k: TraceCode.objects.get(batch_id=k).code for k in kept} == kept  # printed codes never change
    after = rows()
    backfill(apps, SimpleNamespace(connection=connection))  # the migration reads the alias
    assert rows() == after
    assert client.get(f"/t/{TraceCode.objects.get(batch=bare).code}/certificate.pdf").status_code == 200


def test_packing_refusals_make_no_trace_rows(personas):
    with pytest.raises(PackingError):
        pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=1)
    assert rows()["TraceCode"] == rows()["ComplianceCertificate"] == 0
