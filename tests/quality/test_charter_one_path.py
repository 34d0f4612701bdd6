"""Adopting a charter version is one service (quality.services.charter.adopt_charter): the API and the admin
number it, save it and audit it the same way."""

from coop.models import AuditEvent
from quality.models import Charter

ASSEMBLY = {"title": "村民自治公约（修订）", "text": "……", "adopted_on": "2026-11-01", "effective_from": "2026-11-15",
            "assembly_attendance": 30, "votes_for": 27, "votes_against": 2, "votes_abstain": 1}
CLAUSE = {"number": "第五条", "defect": "any", "from_offence": 1, "text": "警告", "warning": True}


def admin_add(personas, client_for, **overrides):
    body = {**ASSEMBLY, "cooperative": personas.coop_a.pk, "assembly_record": "", "appeal_window_days": 7,
            "notice_days": 30, "lookback_days": 365, "attribution_rule": "proportional", "name_mask": "surname",
            "clauses-TOTAL_FORMS": 1, "clauses-INITIAL_FORMS": 0, "clauses-MIN_NUM_FORMS": 0,
            "clauses-MAX_NUM_FORMS": 1000, **{f"clauses-0-{k}": ("on" if v is True else v) for k, v in CLAUSE.items()},
            "clauses-0-fine_per_egg": "0", "clauses-0-fine_fixed": "0", "clauses-0-suspension_days": 0,
            **overrides}
    return client_for(personas.manager_a).post("/admin/quality/charter/add/", body)


def audit_of(charter):
    event = AuditEvent.objects.get(object_type="quality.charter", object_id=str(charter.pk))
    return event.action, event.actor, event.cooperative, event.data


def test_the_admin_and_the_api_adopt_a_version_the_same_way(personas, api_for, client_for, charter):
    resp = api_for(personas.manager_a).post("/api/charters/", {**ASSEMBLY, "clauses": [CLAUSE]}, format="json")
    assert resp.status_code == 201 and resp.json()["version"] == 2
    via_api = Charter.objects.get(pk=resp.json()["id"])

    resp = admin_add(personas, client_for)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    via_admin = Charter.objects.get(cooperative=personas.coop_a, version=3)

    expected = lambda v: ("charter.adopted", personas.manager_a, personas.coop_a,  # noqa: E731
                          {"version": v, "votes_for": 27, "votes_against": 2})
    assert audit_of(via_api) == expected(2)
    assert audit_of(via_admin) == expected(3)
    assert via_api.created_by == via_admin.created_by == personas.manager_a
    assert list(via_api.clauses.values_list("number", "text", "warning")) == [("第五条", "警告", True)]


def test_the_admin_and_the_api_refuse_an_effective_date_before_the_vote_alike(personas, api_for, client_for,
                                                                               charter):
    bad = {"adopted_on": "2026-11-15", "effective_from": "2026-11-01"}
    resp = api_for(personas.manager_a).post("/api/charters/", {**ASSEMBLY, **bad, "clauses": [CLAUSE]},
                                            format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {"effective_from": ["生效日期不能早于通过日期。"]}
    resp = admin_add(personas, client_for, **bad)
    assert resp.status_code == 200 and "生效日期不能早于通过日期。" in resp.content.decode()
    assert list(Charter.objects.values_list("version", flat=True)) == [1]
    assert not AuditEvent.objects.filter(action="charter.adopted").exists()
