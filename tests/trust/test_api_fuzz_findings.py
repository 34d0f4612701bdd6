"""Each server error the schema-driven fuzzing (tests/trust/test_api_fuzz.py) found, kept as a plain test:
the request it generated, shrunk to what matters, answers 4xx with a Chinese message and changes nothing."""

import pytest

from quality.models import Charter

pytestmark = pytest.mark.django_db

ASSEMBLY = {"title": "村民自治公约（修订）", "text": "……", "adopted_on": "2026-11-01", "effective_from": "2026-11-15",
            "assembly_attendance": 30, "votes_for": 27, "votes_against": 2, "votes_abstain": 1}


@pytest.mark.parametrize("clauses", [
    # Both clauses default to "any defect, from the first offence" (what the fuzzer sent).
    [{"number": "一", "text": "警告"}, {"number": "二", "text": "罚款"}],
    [{"number": "一", "text": "警告", "defect": "dirty", "from_offence": 2},
     {"number": "二", "text": "罚款", "defect": "dirty", "from_offence": 2}],
])
def test_a_charter_with_two_clauses_for_one_step_is_refused_not_a_500(personas, api_for, charter, clauses):
    """POST /api/charters/ with two clauses for the same (defect, offence) hit the clause table's unique
    constraint: IntegrityError, 500."""
    resp = api_for(personas.manager_a).post("/api/charters/", {**ASSEMBLY, "clauses": clauses}, format="json")
    assert resp.status_code == 400, resp.content
    assert "只能有一条条款" in resp.json()["error"]["fields"]["clauses"][0]
    assert list(Charter.objects.values_list("version", flat=True)) == [1]


def test_an_escalation_ladder_for_one_defect_is_still_adopted(personas, api_for, charter):
    clauses = [{"number": "一", "text": "警告", "defect": "dirty", "from_offence": 1, "warning": True},
               {"number": "二", "text": "罚款", "defect": "dirty", "from_offence": 2, "fine_fixed": "5.00"},
               {"number": "三", "text": "警告", "from_offence": 1, "warning": True}]
    resp = api_for(personas.manager_a).post("/api/charters/", {**ASSEMBLY, "clauses": clauses}, format="json")
    assert resp.status_code == 201, resp.content
    assert Charter.objects.get(pk=resp.json()["id"]).clauses.count() == 3


def _schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_lets_an_appeal_be_undecided():
    """GET /api/appeals/ answered ``"decision": ""`` for a pending appeal; the schema allowed only the three
    decisions (a read-only field loses the model's blank=True)."""
    decision = _schema()["components"]["schemas"]["Appeal"]["properties"]["decision"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in decision.get("oneOf", []), decision


def test_the_schema_says_the_penalty_preview_is_a_plain_list(world, api_for):
    """GET /api/reports/{id}/preview/ answers a list; the schema said a page ({count, results})."""
    ok = _schema()["paths"]["/api/reports/{id}/preview/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
    report = world.obj("quality.badeggreport")
    resp = api_for(world.personas.manager_a).get(f"/api/reports/{report.pk}/preview/")
    assert resp.status_code == 200 and isinstance(resp.json(), list)
