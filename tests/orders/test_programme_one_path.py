"""A pledge is registered by one service (orders.services.programmes.register_pledge): the API and the
admin save it and audit it the same way."""

import datetime

from django.utils import timezone

from coop.models import AuditEvent
from orders.models.programmes import Pledge


def test_a_pledge_registered_in_the_admin_is_audited_like_one_from_the_api(pairing, personas, api_for, client_for):
    today = timezone.localdate()
    body = {"organisation": pairing.org.pk, "programme": pairing.programme.pk, "amount": "1000.00",
            "period_start": str(today), "period_end": str(today + datetime.timedelta(days=10)), "note": ""}
    assert api_for(personas.manager_a).post("/api/pledges/", body, format="json").status_code == 201
    now = timezone.localtime()
    resp = client_for(personas.manager_a).post("/admin/orders/pledge/add/", {
        **body, "created_at_0": f"{now:%Y-%m-%d}", "created_at_1": f"{now:%H:%M:%S}"})
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    via_api, via_admin = Pledge.objects.order_by("pk")
    events = [(e.action, e.actor, e.data) for e in AuditEvent.objects.filter(object_type="orders.pledge")
              .order_by("pk")]
    expected = ("pledge.registered", personas.manager_a, {"amount": "1000.00", "organisation": pairing.org.pk})
    assert events == [expected, expected]
    assert via_api.created_by == via_admin.created_by == personas.manager_a
