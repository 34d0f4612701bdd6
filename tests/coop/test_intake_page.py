import pytest
from django.utils import timezone

from coop.models import Delivery, LedgerEntry
from tests.factories import set_prices

pytestmark = pytest.mark.django_db


def form_data(who, **kw):
    data = {"farmer": f"{who.member_no} {who.head_name}", "eggs_brought": "24", "laid_from": "",
            "laid_to": "", "accepted_xl": "", "accepted_l": "20", "accepted_m": "", "accepted_s": "",
            "rejected_cracked": "3", "rejected_dirty": "", "rejected_blood": "", "rejected_rotten": "1",
            "rejected_undersized": "", "rejected_other": "", "note": "", "idempotency_key": "k-1"}
    data["laid_from"] = data["laid_to"] = str(timezone.localdate())
    data.update(kw)
    return data


def test_an_inspector_records_a_delivery_and_sees_the_receipt(personas, client_for):
    set_prices(personas.coop_a)
    c = client_for(personas.inspector_a)
    page = c.get("/intake/")
    assert page.status_code == 200 and "收蛋验收" in page.content.decode()
    assert personas.farmer_a.member_no in page.content.decode()  # offered in the farmer list
    resp = c.post("/intake/", form_data(personas.farmer_a), follow=True)
    text = resp.content.decode()
    assert resp.status_code == 200 and "收蛋回执" in text and "¥30.00" in text and "裂纹蛋" in text
    d = Delivery.objects.get()
    assert d.inspector == personas.inspector_a and d.accepted == 20 and d.rejected == 4
    # The phone resent the form (bad signal): still one delivery, one credit.
    c.post("/intake/", form_data(personas.farmer_a), follow=True)
    assert Delivery.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_counts_that_do_not_add_up_are_shown_and_nothing_is_saved(personas, client_for):
    set_prices(personas.coop_a)
    resp = client_for(personas.inspector_a).post("/intake/", form_data(personas.farmer_a, eggs_brought="30"))
    assert resp.status_code == 400 and "与交来的 30 枚不符" in resp.content.decode()
    assert not Delivery.objects.exists()


def test_a_farmer_can_be_picked_by_name(personas, client_for):
    set_prices(personas.coop_a)
    client_for(personas.inspector_a).post("/intake/", form_data(personas.farmer_a, farmer="吉克拉哈"))
    assert Delivery.objects.get().farmer == personas.farmer_a


def test_a_farmer_of_another_cooperative_is_unknown_here(personas, client_for):
    set_prices(personas.coop_a)
    resp = client_for(personas.inspector_a).post("/intake/", form_data(personas.farmer_b))
    assert resp.status_code == 400 and "找不到这户农户" in resp.content.decode()
    assert not Delivery.objects.exists()


def test_only_staff_may_record_or_read_receipts(personas, client_for):
    set_prices(personas.coop_a)
    assert client_for(None).get("/intake/").status_code == 302
    assert client_for(personas.outsider).get("/intake/").status_code == 403
    assert client_for(personas.farmer_a.user).get("/intake/").status_code == 403
    client_for(personas.inspector_a).post("/intake/", form_data(personas.farmer_a))
    d = Delivery.objects.get()
    assert client_for(personas.manager_b).get(f"/intake/receipt/{d.pk}/").status_code == 404
    assert client_for(personas.manager_a).get(f"/intake/receipt/{d.pk}/").status_code == 200
