"""Every role sees only its own: households their penalties, managers their cooperative."""

import pytest

from quality.models import Penalty
from tests.factories import confirm, make_batch, make_charter, make_delivery, report_on


@pytest.fixture
def both(personas, charter, farmer_a_batch):
    make_charter(personas.coop_b)
    pa = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    batch_b = make_batch(personas.coop_b, deliveries=[make_delivery(personas.farmer_b, accepted={"L": 30})])
    pb = confirm(report_on(batch_b), personas.manager_b)[0]
    return pa, pb


def ids(resp):
    return sorted(row["id"] for row in resp.json()["results"])


def test_a_household_sees_only_its_own_penalties(personas, api_for, both):
    pa, pb = both
    api = api_for(personas.farmer_a.user)
    assert ids(api.get("/api/penalties/")) == [pa.pk]
    assert api.get(f"/api/penalties/{pb.pk}/").status_code == 404
    assert api.get("/api/reports/").status_code == 403  # households do not browse the report queue


def test_another_cooperatives_manager_sees_nothing(personas, api_for, client_for, both):
    pa, pb = both
    api = api_for(personas.manager_b)
    assert ids(api.get("/api/penalties/")) == [pb.pk]
    assert api.get(f"/api/penalties/{pa.pk}/").status_code == 404
    assert api.get(f"/api/reports/{pa.report_id}/").status_code == 404
    assert api.post(f"/api/reports/{pa.report_id}/dismiss/", {"reason": "x"}).status_code == 404
    assert api.post(f"/api/penalties/{pa.pk}/reverse/", {"reason": "x"}).status_code == 404
    charters_b = api.get("/api/charters/").json()["results"]
    assert {c["cooperative"] for c in charters_b} == {personas.coop_b.pk}
    admin = client_for(personas.manager_b)
    assert admin.get(f"/admin/quality/penalty/{pa.pk}/change/").status_code in (302, 404)
    assert admin.get(f"/admin/quality/badeggreport/{pa.report_id}/change/").status_code in (302, 404)
    listing = admin.get("/admin/quality/badeggreport/").content.decode()
    assert pa.report.reference not in listing and pb.report.reference in listing


def test_anonymous_and_outsiders_see_no_penalties(personas, api_for, both):
    assert api_for(None).get("/api/penalties/").status_code in (401, 403)
    assert ids(api_for(personas.outsider).get("/api/penalties/")) == []
    assert ids(api_for(personas.buyer).get("/api/appeals/")) == []


def test_a_household_appeals_its_own_penalty_through_the_api(personas, api_for, both):
    pa, pb = both
    api = api_for(personas.farmer_a.user)
    assert api.post("/api/appeals/", {"penalty": pb.pk, "grounds": "x"}).status_code == 404
    resp = api.post("/api/appeals/", {"penalty": pa.pk, "grounds": "运输中碰坏"})
    assert resp.status_code == 201
    assert Penalty.objects.get(pk=pa.pk).status == Penalty.APPEALED
    decide = {"decision": "waived", "reason": "r", "members_present": "m"}
    assert api.post(f"/api/appeals/{resp.json()['id']}/decide/", decide).status_code == 400
    committee = api_for(personas.committee_a)
    assert committee.post(f"/api/appeals/{resp.json()['id']}/decide/", decide).status_code == 200
    assert Penalty.objects.get(pk=pa.pk).status == Penalty.WAIVED


def test_the_manager_api_previews_then_confirms(personas, api_for, charter, two_household_batch):
    api = api_for(personas.manager_a)
    inspector = api_for(personas.inspector_a)
    created = inspector.post("/api/reports/", {"batch": two_household_batch.pk, "eggs": 5, "defect": "cracked"})
    assert created.status_code == 201 and created.json()["source"] == "inspector"
    rid = created.json()["id"]
    assert inspector.post(f"/api/reports/{rid}/confirm/", {}, format="json").status_code == 400
    preview = api.get(f"/api/reports/{rid}/preview/").json()
    assert sum(r["eggs"] for r in preview) == 5 and all(r["clause_text"] for r in preview)
    assert Penalty.objects.count() == 0  # a preview decides nothing
    resp = api.post(f"/api/reports/{rid}/confirm/", {"reason": "照蛋复核属实"}, format="json")
    assert resp.status_code == 201 and len(resp.json()) == 2
    again = api.post(f"/api/reports/{rid}/confirm/", {}, format="json")
    assert again.status_code == 400 and again.json()["error"]["message"]


def test_a_manager_adopts_a_new_charter_version(personas, api_for, charter):
    api = api_for(personas.manager_a)
    body = {"title": "村民自治公约（修订）", "text": "……", "adopted_on": "2026-11-01", "effective_from": "2026-11-15",
            "assembly_attendance": 30, "votes_for": 27, "votes_against": 2, "votes_abstain": 1,
            "clauses": [{"number": "第五条", "defect": "any", "from_offence": 1, "text": "警告", "warning": True}]}
    resp = api.post("/api/charters/", body, format="json")
    assert resp.status_code == 201 and resp.json()["version"] == 2
    assert api_for(personas.committee_a).post("/api/charters/", body, format="json").status_code == 403
