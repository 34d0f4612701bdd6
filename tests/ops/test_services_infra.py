"""Infrastructure services: the ledger door, notifications sent once, a real worker on Redis."""

from decimal import Decimal

import pytest

from coop.models import LedgerEntry, LedgerImmutable, Notification
from coop.services import ledger, notifications
from tests.conftest import requires_redis


@pytest.mark.django_db
def test_ledger_is_append_only_and_balance_is_the_sum(personas):
    farmer = personas.farmer_a
    e1, _ = ledger.post_entry(farmer=farmer, kind=LedgerEntry.DELIVERY, amount="12.345", reason="交蛋")
    ledger.post_entry(farmer=farmer, kind=LedgerEntry.FINE, amount="-2", reason="坏蛋罚款")
    assert e1.amount == Decimal("12.35")
    assert ledger.balance(farmer) == Decimal("10.35")
    e1.amount = Decimal("99")
    with pytest.raises(LedgerImmutable):
        e1.save()
    with pytest.raises(LedgerImmutable):
        e1.delete()
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(farmer=farmer).delete()
    assert ledger.balance(farmer) == Decimal("10.35")


@pytest.mark.django_db
def test_ledger_posts_a_business_fact_once(personas):
    farmer = personas.farmer_a
    first, created = ledger.post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount="50", reason="卫生评比",
                                       dedupe_key="reward:1")
    again, created_again = ledger.post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount="50",
                                             reason="卫生评比", dedupe_key="reward:1")
    assert created and not created_again and first.pk == again.pk
    assert ledger.balance(farmer) == Decimal("50.00")


@pytest.mark.django_db
def test_ledger_refuses_a_positive_fine(personas):
    with pytest.raises(ledger.LedgerError):
        ledger.post_entry(farmer=personas.farmer_a, kind=LedgerEntry.FINE, amount="5", reason="x")
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_sent_once_however_often_it_is_asked(personas, caplog):
    caplog.set_level("INFO", logger="greenshell.notify")
    for _ in range(3):
        notifications.notify(event="delivery.receipt", key="delivery:1:receipt", body="您交的鸡蛋已验收",
                             farmer=personas.farmer_a)
    note = Notification.objects.get()
    assert note.status == Notification.SENT and note.attempts == 1
    assert notifications.deliver(note.pk) is False  # a retried task finds nothing left to send
    assert sum("您交的鸡蛋已验收" in r.getMessage() for r in caplog.records) == 1


@requires_redis
@pytest.mark.worker
def test_a_real_worker_answers_through_redis(celery_worker, client):
    response = client.get("/healthz", {"worker": "1"})
    assert response.status_code == 200, response.json()
    assert response.json()["celery_worker"] == "ok" and response.json()["redis"] == "ok"


@requires_redis
@pytest.mark.worker
def test_a_real_worker_sends_a_queued_notification(celery_worker, personas):
    import time

    note = notifications.notify(event="test", key="worker-test", body="工人测试", farmer=personas.farmer_a)
    deadline = time.time() + 20
    while time.time() < deadline:
        note.refresh_from_db()
        if note.status == Notification.SENT:
            break
        time.sleep(0.2)
    assert note.status == Notification.SENT
