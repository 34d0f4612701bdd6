"""What managers do: download labels, recall, make big sheets, see scans — only for their own batches."""

import pytest

from coop.models import Batch
from quality.models import LabelSheet
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(personas):
    return make_batch(personas.coop_a, code="HBLA-20261127-05", boxes=5)


def test_the_api_lists_batches_with_trace_code_scan_url_and_label_links(batch, api_for, personas):
    r = api_for(personas.manager_a).get("/api/trace/batches/")
    assert r.status_code == 200
    item = r.json()["results"][0]
    assert item["trace_code"] == batch.trace.code
    assert item["scan_url"].endswith(f"/t/{batch.trace.code}")
    assert item["labels_pdf_url"].endswith(f"/trace/batches/{batch.pk}/labels.pdf?format=a4-3x8")


def test_another_cooperative_sees_nothing(batch, api_for, client_for, personas):
    assert api_for(personas.manager_b).get("/api/trace/batches/").json()["results"] == []
    assert api_for(personas.manager_b).get(f"/api/trace/batches/{batch.pk}/").status_code == 404
    assert client_for(personas.manager_b).get(f"/trace/batches/{batch.pk}/labels.pdf").status_code == 404
    assert client_for(None).get(f"/trace/batches/{batch.pk}/labels.pdf").status_code == 302


def test_a_manager_downloads_label_pdfs_and_a_png(batch, client_for, personas):
    c = client_for(personas.manager_a)
    for fmt in ("a4-3x8", "a4-2x5", "thermal-60x40"):
        r = c.get(f"/trace/batches/{batch.pk}/labels.pdf?format={fmt}")
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert c.get(f"/trace/batches/{batch.pk}/labels.pdf?format=a5").status_code == 400
    assert c.get(f"/trace/batches/{batch.pk}/labels.pdf?copies=abc").status_code == 400
    r = c.get(f"/trace/batches/{batch.pk}/labels.pdf?boxes=1")
    assert r.status_code == 200 and batch.trace.boxes.count() == 5
    assert c.get(f"/trace/batches/{batch.pk}/label.png")["Content-Type"] == "image/png"


def test_recall_through_the_api_needs_a_reason_and_is_audited(batch, api_for, personas):
    from coop.models import AuditEvent

    api = api_for(personas.manager_a)
    r = api.post(f"/api/trace/batches/{batch.pk}/recall/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "召回原因" in r.json()["error"]["message"]
    r = api.post(f"/api/trace/batches/{batch.pk}/recall/", {"reason": "外壳污染"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "recalled"
    assert AuditEvent.objects.filter(action="batch.recalled", reason="外壳污染").exists()
    assert api_for(personas.inspector_a).post(f"/api/trace/batches/{batch.pk}/recall/",
                                              {"reason": "x"}, format="json").status_code == 403


def test_a_big_sheet_is_made_in_the_background_and_reused(batch, api_for, client_for, personas, settings, tmp_path,
                                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    api = api_for(personas.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post(f"/api/trace/batches/{batch.pk}/label-sheets/", {"copies": 40, "serialised": True},
                     format="json")
    assert r.status_code == 202
    sheet = LabelSheet.objects.get(pk=r.json()["id"])
    assert sheet.status == LabelSheet.DONE and sheet.percent == 100  # eager Celery in tests
    again = api.post(f"/api/trace/batches/{batch.pk}/label-sheets/", {"copies": 40, "serialised": True}, format="json")
    assert again.json()["id"] == sheet.pk
    assert client_for(personas.manager_a).get(f"/trace/sheets/{sheet.pk}.pdf").content.startswith(b"%PDF")
    assert client_for(personas.manager_b).get(f"/trace/sheets/{sheet.pk}.pdf").status_code == 404
    # A private file (its name is guessable): only under MEDIA_ROOT/private/, which nothing serves directly.
    assert (tmp_path / "private" / sheet.file.name).exists() and not (tmp_path / sheet.file.name).exists()


def test_the_admin_trace_page_and_recall_form(batch, client_for, personas):
    c = client_for(personas.manager_a)
    page = c.get(f"/admin/quality/tracecode/{batch.trace.pk}/change/")
    assert page.status_code == 200 and "labels.pdf?format=a4-2x5" in page.content.decode()
    r = c.post(f"/admin/quality/tracecode/{batch.trace.pk}/recall/", {"reason": "召回测试"})
    assert r.status_code == 302
    batch.refresh_from_db()
    assert batch.status == Batch.RECALLED
    assert client_for(personas.manager_b).get(f"/admin/quality/tracecode/{batch.trace.pk}/recall/").status_code == 404
