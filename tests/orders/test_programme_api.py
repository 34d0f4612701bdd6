"""API: /api/programmes/ (+ report), /api/pledges/, /api/statements/ — scoped like the pages."""

import datetime

from django.utils import timezone

from orders.models.programmes import Pledge, ProgrammeCoordinator
from tests.factories import buy, make_user


def test_the_report_api_gives_the_same_figures_as_the_page(pairing, personas, api_for):
    buy(pairing, 10, personas.manager_a)
    api = api_for(personas.manager_a)
    listing = api.get("/api/programmes/").json()
    assert [p["code"] for p in listing["results"]] == ["ZNMG16"]
    assert listing["results"][0]["counted_income"] == "399.00"
    report = api.get(f"/api/programmes/{pairing.programme.pk}/report/").json()
    assert report["totals"]["income"] == "399.00" and report["totals"]["reached"] == "137.00"
    assert report["totals"]["households"] == 3
    assert {h["member_no"] for h in report["households"]} == {f.member_no for f in pairing.farmers}
    assert api.get(f"/api/programmes/{pairing.programme.pk}/report/?start=nope").status_code == 400


def test_other_cooperatives_and_outsiders_see_nothing(pairing, personas, api_for):
    assert api_for(personas.manager_b).get(f"/api/programmes/{pairing.programme.pk}/").status_code == 404
    assert api_for(personas.manager_b).get("/api/programmes/").json()["results"] == []
    assert api_for(personas.outsider).get(f"/api/programmes/{pairing.programme.pk}/report/").status_code == 404
    assert api_for(None).get("/api/programmes/").status_code in (401, 403)


def test_a_manager_registers_a_pledge_and_its_progress_follows_paid_orders(pairing, personas, api_for):
    today = timezone.localdate()
    api = api_for(personas.manager_a)
    r = api.post("/api/pledges/", {"organisation": pairing.org.pk, "programme": pairing.programme.pk,
                                   "amount": "1000.00", "period_start": str(today - datetime.timedelta(days=10)),
                                   "period_end": str(today + datetime.timedelta(days=10))}, format="json")
    assert r.status_code == 201, r.json()
    buy(pairing, 3, personas.manager_a)
    pledge = api.get(f"/api/pledges/{r.json()['id']}/").json()
    assert pledge["progress"]["done"] == "119.70" and pledge["progress"]["percent"] == 11
    # the organisation's own buyer sees it too; the other cooperative's manager does not
    assert api_for(personas.buyer).get("/api/pledges/").json()["count"] == 1
    assert api_for(personas.manager_b).get("/api/pledges/").json()["count"] == 0
    refused = api_for(personas.manager_b).post("/api/pledges/", {
        "organisation": pairing.org.pk, "programme": pairing.programme.pk, "amount": "5",
        "period_start": str(today), "period_end": str(today)}, format="json")
    assert refused.status_code == 400 and "error" in refused.json()
    assert Pledge.objects.count() == 1


def test_statements_are_issued_by_managers_and_read_by_coordinators(pairing, personas, api_for):
    buy(pairing, 2, personas.manager_a)
    today = str(timezone.localdate())
    body = {"programme": pairing.programme.pk, "organisation": pairing.org.pk, "period_start": today,
            "period_end": today, "kind": "certificate"}
    coordinator = make_user("coord")
    ProgrammeCoordinator.objects.create(user=coordinator, programme=pairing.programme)
    assert api_for(coordinator).post("/api/statements/", body, format="json").status_code == 403
    r = api_for(personas.manager_a).post("/api/statements/", body, format="json")
    assert r.status_code == 201 and r.json()["figures"]["amount"] == "79.80"
    assert r.json()["verify_url"].endswith(f"/v/{r.json()['code']}")
    assert api_for(coordinator).get("/api/statements/").json()["count"] == 1
    assert api_for(personas.outsider).get("/api/statements/").json()["count"] == 0
    empty = api_for(personas.manager_a).post("/api/statements/", {**body, "period_start": "2020-01-01",
                                                                  "period_end": "2020-01-31"}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty"
