"""The public report form at /t/<code>/report/: works without JS, photos cleaned, rate-limited."""

import io

import pytest
from PIL import Image

from coop.models import AuditEvent
from quality.models import BadEggReport, ReportPhoto
from tests.factories import jpeg_with_gps, photo_upload


def post_report(client, batch, **extra):
    data = {"eggs": 2, "defect": "rotten", "note": "打开就臭"}
    data.update(extra)
    return client.post(f"/t/{batch.code}/report/", data)


def test_it_shows_a_plain_form_for_a_batch(client_for, farmer_a_batch):
    resp = client_for(None).get(f"/t/{farmer_a_batch.code}/report/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and "multiple" in html
    assert "臭/坏" in html and "<script" not in html and 'style="' not in html


def test_an_unknown_code_answers_404(client_for, db):
    assert client_for(None).get("/t/NOSUCHCODE/report/").status_code == 404


def test_it_receives_a_report_with_a_photo_and_gives_a_reference(client_for, farmer_a_batch):
    resp = post_report(client_for(None), farmer_a_batch, photos=[photo_upload()])
    report = BadEggReport.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/report/{report.reference}/"
    assert (report.eggs, report.defect, report.source, report.status) == (2, "rotten", "scan", "received")
    page = client_for(None).get(resp["Location"]).content.decode()
    assert report.reference in page and "已受理" in page
    assert AuditEvent.objects.filter(action="report.received", object_id=str(report.pk)).exists()


def test_photos_lose_their_exif_and_gps(client_for, farmer_a_batch):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload does carry GPS
    post_report(client_for(None), farmer_a_batch, photos=[photo_upload(content=original)])
    photo = ReportPhoto.objects.get()
    with photo.image.open("rb") as f:
        stored = f.read()
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and img.size == (64, 48)
    assert not img.getexif() and "exif" not in img.info
    assert b"Exif" not in stored and b"PhoneMaker" not in stored


def test_a_non_image_is_refused_and_nothing_is_saved(client_for, farmer_a_batch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("egg.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg")
    resp = post_report(client_for(None), farmer_a_batch, photos=[fake])
    assert resp.status_code == 400 and "不是有效的图片" in resp.content.decode()
    assert not BadEggReport.objects.exists() and not ReportPhoto.objects.exists()


def test_more_than_three_photos_are_refused(client_for, farmer_a_batch):
    resp = post_report(client_for(None), farmer_a_batch, photos=[photo_upload(f"{i}.jpg") for i in range(4)])
    assert resp.status_code == 400 and "最多上传 3 张照片" in resp.content.decode()
    assert not BadEggReport.objects.exists()


def test_a_too_big_photo_is_refused(client_for, farmer_a_batch, monkeypatch):
    from quality.services import reports

    monkeypatch.setattr(reports, "MAX_PHOTO_BYTES", 100)
    resp = post_report(client_for(None), farmer_a_batch, photos=[photo_upload()])
    assert resp.status_code == 400 and "照片太大" in resp.content.decode()


def test_bad_input_gets_a_clear_message_and_changes_nothing(client_for, farmer_a_batch):
    c = client_for(None)
    for data in ({"eggs": 0}, {"eggs": 31}, {"defect": "purple"}, {"contact_phone": "12345"}):
        resp = post_report(c, farmer_a_batch, **data)
        assert resp.status_code == 400
        assert 'class="errorlist' in resp.content.decode()
    assert not BadEggReport.objects.exists()


def test_an_obvious_duplicate_is_merged(client_for, farmer_a_batch):
    c = client_for(None)
    first = post_report(c, farmer_a_batch)
    second = post_report(c, farmer_a_batch, eggs=3)
    report = BadEggReport.objects.get()
    assert first["Location"] == f"/report/{report.reference}/"
    assert second["Location"] == f"/report/{report.reference}/?merged=1"
    assert (report.duplicates_merged, report.eggs) == (1, 3)
    assert "合并" in c.get(second["Location"]).content.decode()
    post_report(c, farmer_a_batch, defect="cracked")  # another defect is another report
    assert BadEggReport.objects.count() == 2


def test_anonymous_reports_are_rate_limited_per_client(client_for, farmer_a_batch, settings):
    settings.CHARTER_REPORT_LIMITS = (3, 100, 3600)
    c = client_for(None)
    defects = ["rotten", "cracked", "dirty", "blood"]
    codes = [post_report(c, farmer_a_batch, defect=d).status_code for d in defects]
    assert codes == [302, 302, 302, 429]
    assert "太频繁" in post_report(c, farmer_a_batch, defect="mouldy").content.decode()
    assert BadEggReport.objects.count() == 3
    other_client = client_for(None)
    resp = other_client.post(f"/t/{farmer_a_batch.code}/report/", {"eggs": 1, "defect": "other"},
                             REMOTE_ADDR="10.9.9.9")
    assert resp.status_code == 302


def test_anonymous_reports_are_rate_limited_per_code(client_for, farmer_a_batch, settings):
    settings.CHARTER_REPORT_LIMITS = (100, 2, 3600)
    statuses = [client_for(None).post(f"/t/{farmer_a_batch.code}/report/", {"eggs": 1, "defect": d},
                                      REMOTE_ADDR=f"10.0.0.{i}").status_code
                for i, d in enumerate(["rotten", "cracked", "dirty"])]
    assert statuses == [302, 302, 429]


@pytest.mark.parametrize("ref", ["NOPE", "BE23456789"])
def test_the_status_page_of_an_unknown_reference_is_404(client_for, db, ref):
    assert client_for(None).get(f"/report/{ref}/").status_code == 404


def test_the_status_page_shows_nothing_personal(client_for, farmer_a_batch):
    resp = post_report(client_for(None), farmer_a_batch, contact_name="王女士", contact_phone="13800001234")
    page = client_for(None).get(resp["Location"]).content.decode()
    assert "王女士" not in page and "13800001234" not in page and "吉克拉哈" not in page


def test_the_form_resolves_the_printed_trace_code(client_for, farmer_a_batch):
    from quality import models as qm

    trace = getattr(qm, "TraceCode", None)
    if trace is None or not trace.objects.filter(batch=farmer_a_batch).exists():
        pytest.skip("the traceability helper's trace codes are not in this tree")
    code = trace.objects.get(batch=farmer_a_batch).code
    resp = client_for(None).post(f"/t/{code}/report/", {"eggs": 1, "defect": "rotten"})
    assert resp.status_code == 302
    assert BadEggReport.objects.get().trace_code == code
