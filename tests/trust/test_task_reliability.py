"""Every Celery task run twice, and after a crash mid-way, leaves the same result: no second ledger
entry, payout, notification or refund. Tasks are acknowledged late (settings), so a duplicate
delivery is normal life, not an accident.

The last test kills a real worker (SIGKILL, PostgreSQL + Redis) in the middle of the monthly
settlement run, starts a new one, and checks that the month is settled exactly once.
"""

import datetime
import os
import signal
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from coop.models import GatewayMessage, LedgerEntry, Notification, Settlement, SettlementRun
from coop.services import notifications
from coop.services.settlements import month_bounds
from coop.tasks import run_settlement, send_notification
from tests.factories import deliver, make_farmer, make_village, set_prices

pytestmark = pytest.mark.django_db


def ledger_state():
    return sorted(LedgerEntry.objects.values_list("farmer_id", "kind", "amount", "dedupe_key"))


def settlement_state():
    return sorted(Settlement.objects.values_list("farmer_id", "period_start", "period_end", "net"))


def _month_world(personas, villages=3):
    set_prices(personas.coop_a)
    farmers = [personas.farmer_a]
    for _ in range(villages - 1):
        farmers.append(make_farmer(personas.coop_a, make_village(personas.coop_a)))
    for n, farmer in enumerate(farmers):
        farmer.hens = 60  # up to 49 eggs a day stays plausible: no delivery is held for review
        farmer.save(update_fields=["hens"])
        deliver(farmer, accepted={"L": 10 + n})
    return farmers


def _new_run(coop, month):
    # The run row as start_settlement_run leaves it, without queueing (we call the task ourselves).
    return SettlementRun.objects.create(cooperative=coop, period_start=month[0], period_end=month[1], steps_total=0)


# --- the monthly settlement -----------------------------------------------------------------------

def test_the_settlement_task_run_twice_settles_each_household_once(personas):
    _month_world(personas)
    month = month_bounds(timezone.localdate())
    run = _new_run(personas.coop_a, month)
    run_settlement.apply(args=[run.pk]).get()
    first = (settlement_state(), ledger_state())
    run_settlement.apply(args=[run.pk]).get()  # the broker delivered it again
    assert (settlement_state(), ledger_state()) == first
    assert Settlement.objects.count() == 3
    run.refresh_from_db()
    assert run.status == SettlementRun.DONE


def test_a_settlement_run_that_crashed_mid_way_finishes_with_the_same_books(personas):
    farmers = _month_world(personas)
    month = month_bounds(timezone.localdate())
    # What a clean run would produce, for comparison: the net pay of each household.
    expected = {f.pk: Decimal(10 + n) * Decimal("1.50") for n, f in enumerate(farmers)}

    from coop.services import settlements as service

    real = service.settle_period
    calls = {"n": 0}

    def crash_on_second_village(**kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker lost")  # the process dies here, the first village already settled
        return real(**kw)

    run = _new_run(personas.coop_a, month)
    with mock.patch.object(service, "settle_period", crash_on_second_village), pytest.raises(SystemExit):
        service.execute_run(run.pk)
    assert Settlement.objects.count() == 1
    # The run row still says RUNNING (a killed process writes nothing): the redelivered task resumes it.
    SettlementRun.objects.filter(pk=run.pk).update(status=SettlementRun.RUNNING)
    run_settlement.apply(args=[run.pk]).get()
    run_settlement.apply(args=[run.pk]).get()
    got = dict(Settlement.objects.values_list("farmer_id", "net"))
    assert got == expected
    settled_lines = LedgerEntry.objects.filter(settlement__isnull=False).count()
    assert settled_lines == LedgerEntry.objects.filter(farmer__in=farmers).count()


# --- notifications --------------------------------------------------------------------------------

def test_a_notification_task_run_twice_sends_one_text(personas, settings):
    settings.NOTIFICATION_CHANNEL = "sms"
    note = notifications.notify(event="trust.test", key="trust:twice", body="明天收蛋", farmer=personas.farmer_a)
    send_notification.apply(args=[note.pk])
    send_notification.apply(args=[note.pk])
    note.refresh_from_db()
    assert note.status == Notification.SENT
    assert GatewayMessage.objects.filter(client_ref="trust:twice").count() == 1


def test_a_worker_that_died_after_the_gateway_accepted_does_not_text_twice(personas, settings):
    settings.NOTIFICATION_CHANNEL = "sms"
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="trust.test", dedupe_key="trust:crash",
                                       channel="sms", body="明天收蛋")
    # The worker claims the row and the gateway accepts the text; then the process is killed before it
    # records SENT (its next write is the attempt's "ok") — the row is left "sending".
    def die_before_marking_sent(*a, **kw):
        raise SystemExit("worker lost")

    with mock.patch.object(notifications.NotificationAttempt.objects, "filter", die_before_marking_sent), \
            pytest.raises(SystemExit):
        notifications.deliver(note.pk)
    note.refresh_from_db()
    assert note.status == Notification.SENDING
    assert GatewayMessage.objects.filter(client_ref="trust:crash").count() == 1
    # The sweep finds it stuck, puts it back and sends it again: the gateway answers with the same message.
    later = timezone.now() + datetime.timedelta(hours=1)
    assert notifications.requeue_stuck(now=later) == 1
    notifications.requeue_stuck(now=later)
    note.refresh_from_db()
    assert note.status == Notification.SENT
    assert GatewayMessage.objects.filter(client_ref="trust:crash").count() == 1


# --- the charter, the shop, the pairing ------------------------------------------------------------

def test_applying_due_penalties_twice_fines_each_household_once(personas):
    from quality.models import Penalty
    from quality.tasks import apply_due_penalties
    from tests.factories import close_window, confirm, make_batch, make_charter, make_delivery, report_on

    make_charter(personas.coop_a)
    fines = []
    for _offence in range(3):  # offences 1 (warning), 2 and 3 (fines)
        batch = make_batch(personas.coop_a, deliveries=[make_delivery(personas.farmer_a, accepted={"L": 30})],
                           pack_size=10, boxes=3)
        for penalty in confirm(report_on(batch), personas.manager_a):
            close_window(penalty)
            fines.append(penalty.pk)
    applied = apply_due_penalties.apply().get()
    fined = LedgerEntry.objects.filter(kind=LedgerEntry.FINE).count()
    assert applied == len(fines) and fined >= 1
    state = ledger_state()
    assert apply_due_penalties.apply().get() == 0  # the beat fired twice
    assert ledger_state() == state
    assert not Penalty.objects.filter(pk__in=fines, status=Penalty.NOTIFIED).exists()


def test_cancelling_unpaid_orders_twice_cancels_once(personas):
    from orders.models import Buyer, Order, OrderStatusChange
    from orders.services import orders as order_service
    from orders.tasks import cancel_unpaid_orders
    from tests.factories import ADDRESS, make_batch, make_product

    make_batch(personas.coop_a, weight_class="L", pack_size=10, boxes=5)
    product = make_product(personas.coop_a)
    buyer = Buyer.objects.create(user=personas.buyer, name="张三", phone="13800001234")
    order, _ = order_service.place_order(buyer=buyer, items=[order_service.Item(product, 2)], address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - datetime.timedelta(minutes=1))
    assert cancel_unpaid_orders.apply().get() == 1
    changes = OrderStatusChange.objects.filter(order=order).count()
    assert cancel_unpaid_orders.apply().get() == 0
    order.refresh_from_db()
    assert order.status == Order.CANCELLED
    assert OrderStatusChange.objects.filter(order=order).count() == changes


def test_the_sandbox_payment_notification_twice_pays_once(personas):
    from orders.models import Buyer, Order, OrderStatusChange, Payment, SandboxTransaction
    from orders.services import payments
    from orders.services.orders import Item, place_order
    from orders.services.payments.sandbox import SandboxPlatform
    from orders.tasks import deliver_sandbox_notification
    from tests.factories import ADDRESS, make_batch, make_product

    make_batch(personas.coop_a, weight_class="L", pack_size=10, boxes=5)
    buyer = Buyer.objects.create(user=personas.buyer, name="张三", phone="13800001234")
    order, _ = place_order(buyer=buyer, items=[Item(make_product(personas.coop_a), 2)], address=ADDRESS)
    payment, _data = payments.start_payment(order, provider_name="sandbox")
    SandboxPlatform().pay(payment.out_trade_no, openid="o-trust")  # queues the notification on commit
    txn = SandboxTransaction.objects.get(out_trade_no=payment.out_trade_no)
    deliver_sandbox_notification.apply(args=[txn.pk])
    order.refresh_from_db()
    assert order.status == Order.PAID
    paid_at = order.paid_at
    changes = list(OrderStatusChange.objects.filter(order=order).values_list("pk", flat=True))
    # The acknowledgement was lost: the platform posts the same notification again, twice.
    SandboxTransaction.objects.filter(pk=txn.pk).update(notified_ok_at=None)
    deliver_sandbox_notification.apply(args=[txn.pk])
    deliver_sandbox_notification.apply(args=[txn.pk])
    order.refresh_from_db()
    assert order.status == Order.PAID
    assert Payment.objects.filter(order=order).count() == 1
    assert order.paid_at == paid_at
    assert list(OrderStatusChange.objects.filter(order=order).values_list("pk", flat=True)) == changes


# --- a real worker killed mid-settlement -----------------------------------------------------------

@pytest.fixture
def short_visibility(monkeypatch):
    # The restarted worker takes back the dead worker's unacknowledged task after this many seconds.
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")


def test_a_worker_killed_during_the_monthly_settlement_is_replaced_and_the_month_settles_once(
        personas, short_visibility, celery_worker):
    villages = 40
    farmers = _month_world(personas, villages=villages)
    month = month_bounds(timezone.localdate())
    expected = {f.pk: Decimal(10 + n) * Decimal("1.50") for n, f in enumerate(farmers)}
    run = SettlementRun.objects.create(cooperative=personas.coop_a, period_start=month[0], period_end=month[1],
                                       steps_total=villages)
    run_settlement.apply_async(args=[run.pk], queue=celery_worker.queue)
    deadline = time.time() + 60
    while time.time() < deadline:
        done = SettlementRun.objects.filter(pk=run.pk).values_list("steps_done", flat=True).first()
        if done and done >= 1:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the worker never started the settlement run")
    os.kill(celery_worker.process.pid, signal.SIGKILL)
    celery_worker.process.wait(10)
    part = Settlement.objects.count()
    assert 1 <= part < villages, f"killed too late to prove anything: {part} of {villages} settled"
    celery_worker.start()
    # Redis hands the unacknowledged task out again once it is older than the visibility timeout
    # (3 s here); the new worker checks every few seconds. Generous: CI machines are shared.
    deadline = time.time() + 180
    while time.time() < deadline:
        if SettlementRun.objects.filter(pk=run.pk, status=SettlementRun.DONE).exists():
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the restarted worker did not finish the run ({Settlement.objects.count()} of {villages})")
    got = dict(Settlement.objects.values_list("farmer_id", "net"))
    assert got == expected
    assert LedgerEntry.objects.filter(settlement__isnull=True, farmer__in=farmers).count() == 0
