"""A household's record is saved and audited by one service (coop.services.farmers): an edit in the admin
writes the same audit entry as the same edit through the API."""

from coop.models import AuditEvent, Farmer


def admin_body(farmer, **changes):
    body = {"cooperative": farmer.cooperative_id, "village": farmer.village_id, "member_no": farmer.member_no,
            "head_name": farmer.head_name, "phone": farmer.phone, "poverty_status": farmer.poverty_status,
            "hens": farmer.hens, "payout_method": farmer.payout_method, "stamp_code": farmer.stamp_code,
            "suspended_until": "", "suspension_reason": farmer.suspension_reason,
            "joined_on": farmer.joined_on.isoformat() if farmer.joined_on else "", "new_payout_account": ""}
    body["initial-joined_on"] = body["joined_on"]  # a field with a callable default: the page posts its initial
    if farmer.active:
        body["active"] = "on"
    body.update(changes)
    return body


def changed_events(farmer):
    return [(e.action, e.actor, e.cooperative_id, e.data)
            for e in AuditEvent.objects.filter(object_type="coop.farmer", object_id=str(farmer.pk)).order_by("pk")]


def test_an_admin_edit_is_audited_like_an_api_edit(personas, api_for, client_for):
    farmer = personas.farmer_a
    resp = api_for(personas.manager_a).patch(f"/api/farmers/{farmer.pk}/",
                                             {"hens": 55, "payout_account": "6222020200112233445"}, format="json")
    assert resp.status_code == 200
    farmer.refresh_from_db()
    resp = client_for(personas.manager_a).post(f"/admin/coop/farmer/{farmer.pk}/change/",
                                               admin_body(farmer, hens=60, new_payout_account="6222020200199998888"))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    expected = ("farmer.changed", personas.manager_a, personas.coop_a.pk, {"fields": ["hens"]})
    assert changed_events(farmer) == [expected, expected]
    farmer.refresh_from_db()
    assert (farmer.hens, farmer.payout_account) == (60, "6222020200199998888")
    assert "6222020200199998888" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_a_household_added_in_the_admin_is_audited_like_one_added_by_the_api(personas, api_for, client_for):
    api = api_for(personas.manager_a)
    resp = api.post("/api/farmers/", {"cooperative": personas.coop_a.pk, "village": personas.village_a.pk,
                                      "member_no": "M9001", "head_name": "沙马阿果", "phone": "13900009001"},
                    format="json")
    assert resp.status_code == 201
    via_api = Farmer.objects.get(member_no="M9001")
    template = Farmer(cooperative=personas.coop_a, village=personas.village_a, member_no="M9002",
                      head_name="沙马阿依", phone="13900009002")
    resp = client_for(personas.manager_a).post("/admin/coop/farmer/add/", admin_body(template, hens=0))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    via_admin = Farmer.objects.get(member_no="M9002")
    expected = ("farmer.created", personas.manager_a, personas.coop_a.pk, {})
    assert changed_events(via_api) == changed_events(via_admin) == [expected]
