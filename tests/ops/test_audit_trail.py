"""The audit trail: every manager sees their cooperative's history in the admin, can filter and
search it, and nobody — not the admin, not code — can edit or delete a line of it."""

import pytest
from django.db import transaction

from coop.models import AuditEvent
from coop.services.audit import log_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(personas):
    a = log_action(personas.farmer_a, "delivery.recorded", user=personas.inspector_a,
                   data={"accepted": {"L": 20}}, reason="早上收蛋")
    b = log_action(personas.farmer_a, "penalty.waived", user=personas.committee_a, reason="议事会免除罚款")
    other = log_action(personas.farmer_b, "delivery.recorded", user=personas.manager_b, reason="别的合作社的事")
    return a, b, other


def test_a_manager_sees_who_did_what_when_and_why_for_their_own_cooperative(client_for, personas, trail):
    html = client_for(personas.manager_a).get("/admin/coop/auditevent/").content.decode()
    assert "delivery.recorded" in html and "penalty.waived" in html
    assert "早上收蛋" in html and "inspector_a" in html and "committee_a" in html
    assert "别的合作社的事" not in html  # cooperative B's history is not theirs to see


def test_the_detail_page_shows_the_recorded_data_read_only(client_for, personas, trail):
    page = client_for(personas.manager_a).get(f"/admin/coop/auditevent/{trail[0].pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "accepted" in html
    assert 'class="readonly"' in html and 'name="_save"' not in html
    assert 'name="reason"' not in html and "<textarea" not in html
    # Another cooperative's event answers as if it did not exist.
    assert client_for(personas.manager_a).get(f"/admin/coop/auditevent/{trail[2].pk}/change/").status_code == 302


def test_the_trail_can_be_filtered_and_searched(client_for, personas, trail):
    c = client_for(personas.manager_a)
    filtered = c.get("/admin/coop/auditevent/", {"action": "penalty.waived"}).content.decode()
    assert "议事会免除罚款" in filtered and "早上收蛋" not in filtered
    by_type = c.get("/admin/coop/auditevent/", {"object_type": "coop.farmer"}).content.decode()
    assert "早上收蛋" in by_type
    searched = c.get("/admin/coop/auditevent/", {"q": "免除"}).content.decode()
    assert "议事会免除罚款" in searched and "早上收蛋" not in searched
    assert "penalty.waived" in c.get("/admin/coop/auditevent/", {"q": "penalty"}).content.decode()


@pytest.mark.parametrize("user", ["manager_a", "superuser"])
def test_nobody_can_add_change_or_delete_an_event_through_the_admin(client_for, personas, trail, user):
    from tests.factories import make_user

    who = personas.manager_a if user == "manager_a" else make_user("root", is_staff=True, is_superuser=True)
    c = client_for(who)
    event = trail[0]
    assert c.get("/admin/coop/auditevent/add/").status_code == 403
    c.post(f"/admin/coop/auditevent/{event.pk}/change/", {"reason": "改掉", "action": "x"})
    assert c.post(f"/admin/coop/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    c.post("/admin/coop/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    event.refresh_from_db()
    assert event.reason == "早上收蛋" and AuditEvent.objects.count() == 3


def test_code_cannot_edit_or_delete_events_either(trail):
    event = trail[0]
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="never edited"):
        event.save()
    with pytest.raises(ValueError, match="never deleted"):
        event.delete()
    with pytest.raises(ValueError, match="never edited"):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ValueError, match="never deleted"):
        AuditEvent.objects.filter(action="delivery.recorded").delete()
    with pytest.raises(ValueError, match="never edited"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["reason"])
    assert AuditEvent.objects.get(pk=event.pk).reason == "早上收蛋" and AuditEvent.objects.count() == 3


def test_deleting_a_user_keeps_their_events_with_the_name(personas, trail):
    personas.inspector_a.delete()
    event = AuditEvent.objects.get(pk=trail[0].pk)
    assert event.actor is None and event.actor_label == "inspector_a"
