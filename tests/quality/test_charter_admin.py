"""The admin: report queue with photos, confirm previews before deciding, the hearing, the editor."""

from decimal import Decimal

from coop.models import LedgerEntry
from quality.models import Appeal, BadEggReport, Charter, Penalty
from tests.factories import confirm, photo_upload, report_on


def test_the_queue_and_report_page_show_photo_previews(personas, client_for, charter, farmer_a_batch):
    report = report_on(farmer_a_batch, photos=[photo_upload()])
    admin = client_for(personas.manager_a)
    assert report.reference in admin.get("/admin/quality/badeggreport/").content.decode()
    page = admin.get(f"/admin/quality/badeggreport/{report.pk}/change/").content.decode()
    assert report.photos.get().private_url in page and "确认并按公约处罚" in page


def test_confirm_shows_the_proposed_penalties_with_the_clause_before_deciding(personas, client_for, charter,
                                                                             two_household_batch):
    report = report_on(two_household_batch, eggs=5)
    admin = client_for(personas.manager_a)
    url = f"/admin/quality/badeggreport/{report.pk}/confirm/"
    page = admin.get(url).content.decode()
    assert "初次交坏蛋的，警告。" in page and "吉克拉哈" in page and "阿苏木呷" in page
    assert not Penalty.objects.exists()
    # Naming one household re-computes the proposal for that household only; still nothing decided.
    page = admin.post(url, {"households": [personas.farmer_a.pk], "decide": "preview"}).content.decode()
    assert "阿苏木呷" in page and Penalty.objects.count() == 0
    resp = admin.post(url, {"households": [personas.farmer_a.pk], "decide": "confirm", "reason": "查实"})
    assert resp.status_code == 302
    assert [(p.farmer, p.eggs) for p in Penalty.objects.all()] == [(personas.farmer_a, 5)]
    assert BadEggReport.objects.get().status == BadEggReport.CONFIRMED


def test_the_inspector_and_committee_cannot_confirm(personas, client_for, charter, farmer_a_batch):
    report = report_on(farmer_a_batch)
    for user in (personas.inspector_a, personas.committee_a):
        resp = client_for(user).post(f"/admin/quality/badeggreport/{report.pk}/confirm/", {"decide": "confirm"})
        assert resp.status_code == 403
    assert not Penalty.objects.exists()


def test_dismiss_needs_a_reason(personas, client_for, charter, farmer_a_batch):
    report = report_on(farmer_a_batch)
    admin = client_for(personas.manager_a)
    admin.post(f"/admin/quality/badeggreport/{report.pk}/dismiss/", {"reason": ""})
    assert BadEggReport.objects.get().status == BadEggReport.RECEIVED
    admin.post(f"/admin/quality/badeggreport/{report.pk}/dismiss/", {"reason": "照片显示是运输压碎"})
    assert BadEggReport.objects.get().status == BadEggReport.DISMISSED


def test_manager_files_for_the_household_and_committee_hears_side_by_side(personas, client_for, charter,
                                                                         farmer_a_batch):
    confirm(report_on(farmer_a_batch), personas.manager_a)
    (penalty,) = confirm(report_on(farmer_a_batch, photos=[photo_upload()]), personas.manager_a)
    assert penalty.amount == Decimal("4.00")
    manager = client_for(personas.manager_a)
    assert "代农户提交申诉" in manager.get(f"/admin/quality/penalty/{penalty.pk}/change/").content.decode()
    manager.post(f"/admin/quality/penalty/{penalty.pk}/appeal/", {"text": "户主说蛋是当天的"})
    appeal = Appeal.objects.get()
    assert appeal.on_behalf and appeal.filed_by == personas.manager_a

    committee = client_for(personas.committee_a)
    page = committee.get(f"/admin/quality/appeal/{appeal.pk}/change/").content.decode()
    assert 'id="hearing"' in page and penalty.report.photos.get().private_url in page
    assert "户主说蛋是当天的" in page and "第二次的，每枚坏蛋罚款。" in page and 'id="decide"' in page
    # The manager sees the hearing but cannot decide it.
    assert 'id="decide"' not in manager.get(f"/admin/quality/appeal/{appeal.pk}/change/").content.decode()
    committee.post(f"/admin/quality/appeal/{appeal.pk}/change/", {
        "decision": "waived", "members_present": "吉克、阿苏、沙马", "reason": "无法证明是这户"})
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.WAIVED
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.FINE).exists()


def test_a_charter_version_that_judged_someone_is_never_edited(personas, client_for, charter, farmer_a_batch):
    admin = client_for(personas.manager_a)
    confirm(report_on(farmer_a_batch), personas.manager_a)
    page = admin.get(f"/admin/quality/charter/{charter.pk}/change/").content.decode()
    assert 'name="text"' not in page  # read-only
    admin.post("/admin/quality/charter/", {"action": "new_version", "_selected_action": [charter.pk]})
    assert list(Charter.objects.filter(cooperative=personas.coop_a).values_list("version", flat=True)) == [2, 1]
    assert Charter.objects.get(version=2).clauses.count() == charter.clauses.count()


def test_an_inspector_files_a_report_found_at_packing(personas, client_for, charter, farmer_a_batch):
    resp = client_for(personas.inspector_a).post("/admin/quality/badeggreport/add/", {
        "batch": farmer_a_batch.pk, "eggs": 3, "defect": "blood", "stamp_code": "", "order_ref": "", "note": "照蛋发现",
        "contact_name": "", "contact_phone": ""})
    assert resp.status_code == 302
    report = BadEggReport.objects.get()
    assert (report.source, report.reporter, report.eggs) == (BadEggReport.SOURCE_INSPECTOR, personas.inspector_a, 3)


def test_the_api_preview_takes_named_households(personas, api_for, charter, two_household_batch):
    import json

    report = report_on(two_household_batch, eggs=3)
    api = api_for(personas.manager_a)
    named = json.dumps({str(personas.farmer_a.pk): 3})
    rows = api.get(f"/api/reports/{report.pk}/preview/", {"households": named}).json()
    assert [(r["farmer"], r["eggs"]) for r in rows] == [(personas.farmer_a.pk, 3)]
    bad = api.get(f"/api/reports/{report.pk}/preview/", {"households": "nonsense"})
    assert bad.status_code == 400 and "households" in bad.json()["error"]["message"]
