"""Celery tasks of the shop. Each takes ids, is safe to run twice, and calls a service."""

import json
import logging
import urllib.error
import urllib.request

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("greenshell.payments")


@shared_task
def cancel_unpaid_orders():
    from orders.services.orders import cancel_unpaid

    return cancel_unpaid()


@shared_task
def close_due_group_buys():
    from orders.services.orders import close_due_group_buys as close

    return close()


def _post_in_process(headers, body):
    from orders.services.payments import handle_notification

    status, _answer = handle_notification("sandbox", headers, body)
    return status


def _post_http(url, headers, body):
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own SITE_URL
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@shared_task(bind=True, max_retries=15)
def deliver_sandbox_notification(self, transaction_pk):
    """The sandbox platform posts its signed notification, retrying on WeChat's schedule.

    With a broker the worker posts over HTTP to the shop's notify URL (as WeChat does); without one
    (development, tests) the same signed bytes go straight to the same handler in-process.
    """
    from django.db.models import F

    from orders.models import SandboxTransaction
    from orders.services.payments.sandbox import RETRY_SCHEDULE, SandboxPlatform

    txn = SandboxTransaction.objects.get(pk=transaction_pk)
    if txn.notified_ok_at is not None:
        return "already acknowledged"
    headers, body = SandboxPlatform().build_notification(txn)
    SandboxTransaction.objects.filter(pk=txn.pk).update(notify_attempts=F("notify_attempts") + 1)
    if settings.CELERY_TASK_ALWAYS_EAGER or self.request.is_eager:
        status = _post_in_process(headers, body)
    else:
        status = _post_http(txn.notify_url, headers, body)
    if status in (200, 204):
        SandboxTransaction.objects.filter(pk=txn.pk).update(notified_ok_at=timezone.now())
        return "acknowledged"
    logger.warning("sandbox notification for %s answered %s", txn.out_trade_no, status)
    if self.request.is_eager:
        return f"refused {status}"
    countdown = RETRY_SCHEDULE[min(self.request.retries, len(RETRY_SCHEDULE) - 1)]
    raise self.retry(countdown=countdown, exc=RuntimeError(json.dumps({"status": status})))

# Pairing programmes: pledge reminders (orders/tasks_programmes.py).
from orders.tasks_programmes import remind_pledges  # noqa: E402,F401
