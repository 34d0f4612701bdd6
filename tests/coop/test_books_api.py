import datetime

import pytest
from django.utils import timezone

from coop.models import Batch, Delivery, LedgerEntry, Settlement
from coop.services.intake import correct_delivery
from coop.services.settlements import month_bounds, settle_period
from tests.factories import deliver, set_prices

pytestmark = pytest.mark.django_db


def body(p, **kw):
    data = {"farmer": p.farmer_a.pk, "laid_from": str(timezone.localdate()), "accepted": {"L": 20},
            "rejected": {"cracked": 2}, "eggs_brought": 22}
    data.update(kw)
    return data


def test_a_manager_records_a_delivery_with_intake_counts(personas, api_for):
    set_prices(personas.coop_a)
    api = api_for(personas.manager_a)
    resp = api.post("/api/deliveries/", body(personas), format="json", HTTP_X_IDEMPOTENCY_KEY="api-1")
    assert resp.status_code == 201, resp.json()
    assert resp.json()["amount_due"] == "30.00" and resp.json()["rejected"] == 2
    again = api.post("/api/deliveries/", body(personas), format="json", HTTP_X_IDEMPOTENCY_KEY="api-1")
    assert again.status_code == 200 and again.json()["id"] == resp.json()["id"]
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize("kw, needle", [
    ({"eggs_brought": 30}, "不符"),
    ({"accepted": {"L": -1}}, "负数"),
    ({"laid_from": str(timezone.localdate() + datetime.timedelta(days=3))}, "不能晚于"),
    ({"farmer": 987654}, "找不到"),
])
def test_bad_deliveries_get_a_clear_message_and_change_nothing(personas, api_for, kw, needle):
    set_prices(personas.coop_a)
    resp = api_for(personas.manager_a).post("/api/deliveries/", body(personas, **kw), format="json")
    assert resp.status_code == 400 and needle in resp.json()["error"]["message"]
    assert not Delivery.objects.exists() and not LedgerEntry.objects.exists()


def test_a_manager_cannot_record_for_another_cooperatives_farmer(personas, api_for):
    set_prices(personas.coop_b)
    resp = api_for(personas.manager_b).post("/api/deliveries/", body(personas), format="json")
    assert resp.status_code == 400 and "找不到" in resp.json()["error"]["message"]


def test_packing_through_the_api_never_overpacks(personas, api_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    api = api_for(personas.manager_a)
    ok = api.post("/api/batches/", {"weight_class": "L", "pack_size": 10, "boxes": 2}, format="json")
    assert ok.status_code == 201 and ok.json()["contributions"][0]["eggs"] == 20
    more = api.post("/api/batches/", {"weight_class": "L", "pack_size": 10, "boxes": 1}, format="json")
    assert more.status_code == 400 and "库存不足" in more.json()["error"]["message"]
    assert Batch.objects.count() == 1


def test_settlements_are_approved_and_paid_once_over_the_api(personas, api_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a)
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get()
    api = api_for(personas.manager_a)
    assert api.post(f"/api/settlements/{s.pk}/pay/", {"payment_reference": "X"}, format="json").status_code == 409
    assert api.post(f"/api/settlements/{s.pk}/approve/").json()["status"] == "approved"
    assert api.post(f"/api/settlements/{s.pk}/pay/", {}, format="json").status_code == 400
    paid = api.post(f"/api/settlements/{s.pk}/pay/", {"payment_reference": "WX1"}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert api.post(f"/api/settlements/{s.pk}/pay/", {"payment_reference": "WX2"}, format="json").status_code == 409
    ledger = api.get("/api/ledger/", {"farmer": personas.farmer_a.pk}).json()
    assert sorted(e["kind"] for e in ledger["results"]) == ["delivery", "payout"]


def test_a_manager_of_another_cooperative_sees_none_of_it(personas, api_for):
    set_prices(personas.coop_a)
    d = deliver(personas.farmer_a)
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get()
    other = api_for(personas.manager_b)
    for url in ["/api/deliveries/", "/api/ledger/", "/api/settlements/", "/api/batches/"]:
        assert other.get(url).json()["count"] == 0, url
    assert other.get(f"/api/deliveries/{d.pk}/").status_code == 404
    assert other.get(f"/api/settlements/{s.pk}/").status_code == 404
    assert other.post(f"/api/settlements/{s.pk}/approve/").status_code == 404
    assert api_for(personas.farmer_a.user).get("/api/ledger/").status_code == 403
    assert api_for(personas.inspector_a).get("/api/settlements/").status_code == 403
    assert api_for(None).get("/api/deliveries/").status_code in (401, 403)


def test_deliveries_are_never_edited_or_deleted_over_the_api(personas, api_for):
    set_prices(personas.coop_a)
    d = deliver(personas.farmer_a)
    api = api_for(personas.manager_a)
    assert api.patch(f"/api/deliveries/{d.pk}/", {"accepted_l": 99}, format="json").status_code == 405
    assert api.delete(f"/api/deliveries/{d.pk}/").status_code == 405


def test_the_api_says_which_delivery_a_correction_replaced(personas, api_for):
    set_prices(personas.coop_a)
    api = api_for(personas.inspector_a)
    first = api.post("/api/deliveries/", body(personas), format="json", HTTP_X_IDEMPOTENCY_KEY="api-c").json()
    new = correct_delivery(Delivery.objects.get(pk=first["id"]), accepted={"L": 5}, reason="点错了",
                           user=personas.manager_a)
    old = api.get(f"/api/deliveries/{first['id']}/").json()
    assert old["cancelled_at"] is not None and api.get(f"/api/deliveries/{new.pk}/").json()["amended_from"] == old["id"]
    again = api.post("/api/deliveries/", body(personas, accepted={"L": 7}, eggs_brought=9), format="json",
                     HTTP_X_IDEMPOTENCY_KEY="api-c")
    assert again.status_code == 409 and again.json()["error"]["code"] == "key_reused"
