"""Offline intake: a queue replayed twice (or by two phones at once) records each delivery once."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from coop.models import Delivery, LedgerEntry, Notification
from tests.conftest import requires_postgres
from tests.factories import make_farmer, set_prices
from tests.trust.parallel import run_parallel


def queued(farmer, key=None, minutes_ago=30, **counts):
    received_at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    # Laid on the day it was saved on the phone (in China's time): near midnight "today" differs.
    day = timezone.localtime(received_at).date()
    data = {"farmer": farmer.member_no, "eggs_brought": "0", "laid_from": str(day - datetime.timedelta(days=1)),
            "laid_to": str(day), "idempotency_key": key or uuid.uuid4().hex,
            "received_at": received_at.isoformat()}
    counts = counts or {"accepted_l": 20, "rejected_cracked": 1}
    data.update({k: str(v) for k, v in counts.items()})
    data["eggs_brought"] = str(sum(counts.values()))
    return data


@pytest.fixture
def inspector(personas, client_for):
    set_prices(personas.coop_a)
    return client_for(personas.inspector_a)


def test_a_queue_replayed_twice_records_each_delivery_once(personas, inspector):
    queue = [queued(personas.farmer_a), queued(personas.farmer_a, accepted_m=12)]
    first = [inspector.post("/intake/offline/sync/", item) for item in queue]
    again = [inspector.post("/intake/offline/sync/", item) for item in queue]
    assert [r.status_code for r in first] == [201, 201]
    assert [r.status_code for r in again] == [200, 200] and all(r.json()["replayed"] for r in again)
    assert [r.json()["id"] for r in first] == [r.json()["id"] for r in again]
    assert Delivery.objects.filter(farmer=personas.farmer_a).count() == 2
    assert LedgerEntry.objects.filter(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY).count() == 2
    assert Notification.objects.filter(farmer=personas.farmer_a, event="delivery.receipt").count() == 2


def test_the_delivery_keeps_the_time_it_was_saved_on_the_phone(personas, inspector):
    item = queued(personas.farmer_a, minutes_ago=90)
    r = inspector.post("/intake/offline/sync/", item)
    d = Delivery.objects.get(pk=r.json()["id"])
    assert abs((timezone.now() - d.received_at) - datetime.timedelta(minutes=90)) < datetime.timedelta(seconds=5)
    assert d.inspector == personas.inspector_a


def test_bad_counts_are_refused_with_a_clear_message_and_nothing_recorded(personas, inspector):
    item = queued(personas.farmer_a)
    item["eggs_brought"] = "25"
    r = inspector.post("/intake/offline/sync/", item)
    assert r.status_code == 400 and "请重新清点" in r.json()["error"]["message"]
    assert not Delivery.objects.exists()


def test_a_week_old_queue_entry_is_refused(personas, inspector):
    r = inspector.post("/intake/offline/sync/", queued(personas.farmer_a, minutes_ago=8 * 24 * 60))
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_old"
    assert not Delivery.objects.exists()


def test_only_signed_in_inspectors_of_the_cooperative_can_sync(personas, client_for):
    set_prices(personas.coop_a)
    assert client_for(None).post("/intake/offline/sync/", queued(personas.farmer_a)).status_code == 401
    assert client_for(personas.farmer_a.user).post("/intake/offline/sync/",
                                                   queued(personas.farmer_a)).status_code == 403
    # Another cooperative's inspector cannot record for a household of cooperative A.
    r = client_for(personas.manager_b).post("/intake/offline/sync/", queued(personas.farmer_a))
    assert r.status_code == 400
    assert not Delivery.objects.exists()


def test_the_service_worker_covers_the_intake_page(personas, inspector):
    sw = Client().get("/intake/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("application/javascript")
    assert "/static/js/offline-intake.js" in sw.content.decode()
    manifest = Client().get("/intake/manifest.webmanifest").json()
    assert manifest["start_url"] == "/intake/" and manifest["scope"] == "/intake/"
    page = inspector.get("/intake/").content.decode()
    assert "js/offline-intake.js" in page


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_phones_replaying_the_same_queue_at_once_record_it_once(personas):
    set_prices(personas.coop_a)
    item = queued(personas.farmer_a)
    phones = [Client() for _ in range(4)]
    for c in phones:
        c.force_login(personas.inspector_a)  # signed in beforehand: only the replays race
    statuses = run_parallel([lambda c=c: c.post("/intake/offline/sync/", item).status_code for c in phones])
    assert sorted(statuses) == [200, 200, 200, 201]
    assert Delivery.objects.filter(idempotency_key=item["idempotency_key"]).count() == 1
    assert LedgerEntry.objects.filter(farmer=personas.farmer_a).count() == 1


def test_a_different_delivery_sent_with_a_used_key_is_refused_loudly(personas, inspector):
    """A stale cached page's key on the next household's eggs: before, 200 "replayed" and the
    delivery existed nowhere; now 409 with the receipt number the key belongs to."""
    first = queued(personas.farmer_a, key="k-1", accepted_l=20)
    assert inspector.post("/intake/offline/sync/", first).status_code == 201
    other = make_farmer(personas.coop_a, personas.village_a)
    r = inspector.post("/intake/offline/sync/", queued(other, key="k-1", accepted_l=15))
    assert r.status_code == 409 and r.json()["error"]["code"] == "key_reused"
    assert "内容不同" in r.json()["error"]["message"]
    assert Delivery.objects.count() == 1


def test_a_key_of_another_cooperative_tells_nothing_about_it(personas, inspector, client_for):
    set_prices(personas.coop_b)
    r = client_for(personas.manager_b).post("/intake/offline/sync/", queued(personas.farmer_b, key="k-b"))
    assert r.status_code == 201
    r = inspector.post("/intake/offline/sync/", queued(personas.farmer_a, key="k-b"))
    body = r.json()["error"]["message"]
    assert r.status_code == 409 and personas.farmer_b.head_name not in body and "回执号" not in body
    assert Delivery.objects.count() == 1
