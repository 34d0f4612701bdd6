"""People are shown by their names, not their logins: the receipt names the inspector "吉克阿依", the audit
trail records who did it by name (issue 16 item 3: "receipts and logs show the person's name, not the
login `inspector`")."""

import pytest

from coop.lib.words import person_name
from coop.models import AuditEvent
from tests.factories import deliver, make_user, set_prices

pytestmark = pytest.mark.django_db


def test_a_name_in_chinese_order_or_the_login_when_no_name_was_given():
    assert person_name(make_user("inspector", last_name="吉克", first_name="阿依")) == "吉克阿依"
    assert person_name(make_user("volunteer", first_name="Anna", last_name="Li")) == "Anna Li"
    assert person_name(make_user("nobody")) == "nobody"
    assert person_name(None) == ""


def test_the_receipt_and_the_audit_trail_name_the_inspector(personas, client_for):
    set_prices(personas.coop_a)
    inspector = personas.inspector_a
    inspector.last_name, inspector.first_name = "吉克", "阿依"
    inspector.save()
    d = deliver(personas.farmer_a, accepted={"L": 20}, inspector=inspector)
    page = client_for(inspector).get(f"/intake/receipt/{d.pk}/").content.decode()
    assert "验收员 吉克阿依" in page and inspector.username not in page
    event = AuditEvent.objects.get(action="delivery.recorded", object_id=str(d.pk))
    assert event.actor_label == "吉克阿依"
