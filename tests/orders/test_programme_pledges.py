"""Pledges (预留份额): progress from paid, unrefunded orders; reminders when behind near the deadline."""

import datetime
from decimal import Decimal

from django.utils import timezone

from coop.models import Notification
from orders.models.programmes import Pledge
from orders.services import payments
from orders.services import programmes as svc
from orders.tasks import remind_pledges
from tests.factories import buy


def pledge(pairing, amount, *, started_days_ago=80, ends_in_days=10):
    today = timezone.localdate()
    return Pledge.objects.create(organisation=pairing.org, programme=pairing.programme, amount=Decimal(amount),
                                 period_start=today - datetime.timedelta(days=started_days_ago),
                                 period_end=today + datetime.timedelta(days=ends_in_days))


def test_progress_counts_paid_orders_and_drops_refunded_ones(pairing, personas):
    p = pledge(pairing, "500.00")
    order = buy(pairing, 5, personas.manager_a)
    buy(pairing, 1, personas.manager_a, buyer=pairing.other_buyer)  # not the organisation's
    assert svc.pledge_progress(p)["done"] == Decimal("199.50")
    payments.refund(order, out_refund_no="R-pledge", reason="退货", user=personas.manager_a)
    progress = svc.pledge_progress(p)
    assert progress["done"] == Decimal("0.00") and progress["remaining"] == Decimal("500.00")


def test_an_organisation_behind_near_the_deadline_is_reminded_once_a_week(pairing, personas):
    behind = pledge(pairing, "1000.00")
    buy(pairing, 1, personas.manager_a)

    assert remind_pledges.delay().get() == 1
    note = Notification.objects.get(event="pledge.reminder")
    assert note.phone == "13800009999" and "还差 ¥960.10" in note.body
    assert remind_pledges.delay().get() == 0  # the same week: nothing twice
    assert svc.pledge_progress(behind)["behind"]


def test_no_reminder_when_on_track_or_far_from_the_deadline(pairing, personas):
    pledge(pairing, "100.00")  # on track: 3 boxes cover it
    pledge(pairing, "5000.00", started_days_ago=10, ends_in_days=200)  # behind, but the deadline is far
    buy(pairing, 3, personas.manager_a)
    assert svc.remind_pledges() == 0
    assert not Notification.objects.filter(event="pledge.reminder").exists()
