"""What an operator's Prometheus scrapes at /metrics: requests, tasks, the scan buffer and the message queue.

Requests (counts by view and status, latencies) come from django-prometheus's two middlewares; the figures
of the collective's own machinery are read at scrape time, so they are never stale and cost nothing between
scrapes:

- ``greenshell_scan_buffer_pending`` — scans waiting in Redis for the flush (grows if the flush stops);
- ``greenshell_notifications{status}`` — messages queued, sending, failed (a rising ``failed`` is an SMS
  account out of money or a template not approved);
- ``greenshell_celery_queue_length{queue}`` — tasks waiting on each Celery queue (a label sheet flood is
  visible on ``labels`` while ``notifications`` stays at 0);
- ``greenshell_celery_tasks_total{task,outcome}`` — tasks finished, failed or retried (counted in the process
  that ran them: with gunicorn and workers, set ``PROMETHEUS_MULTIPROC_DIR``, see docs/DEPLOY.md).

It lives in quality because it reads all three apps (the scan buffer is quality's), like the dashboard.
"""

import logging

from celery.signals import task_failure, task_retry, task_success
from django.conf import settings
from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from coop.models import Notification
from quality.services import scans

logger = logging.getLogger("greenshell.metrics")

TASKS = Counter("greenshell_celery_tasks", "Celery tasks by outcome", ["task", "outcome"])


class CollectiveCollector:
    """Figures read when Prometheus scrapes (``prometheus_client`` calls ``collect``)."""

    def describe(self):
        # What registering needs to know: the names, without reading the database or Redis (registering
        # happens at import, before a migrate or with the database away).
        yield GaugeMetricFamily("greenshell_scan_buffer_pending", "Scans waiting in Redis for the flush")
        yield GaugeMetricFamily("greenshell_notifications", "Messages to households and buyers not yet sent",
                                labels=["status"])
        yield GaugeMetricFamily("greenshell_celery_queue_length", "Tasks waiting on each Celery queue",
                                labels=["queue"])

    def collect(self):
        pending = GaugeMetricFamily("greenshell_scan_buffer_pending", "Scans waiting in Redis for the flush")
        try:
            pending.add_metric([], scans.pending_count())
        except Exception:  # Redis down: /healthz says so; the scrape still answers the other figures
            logger.warning("scan buffer unreadable for metrics", exc_info=True)
        yield pending

        notes = GaugeMetricFamily("greenshell_notifications", "Messages to households and buyers not yet sent",
                                  labels=["status"])
        waiting = {Notification.QUEUED: 0, Notification.SENDING: 0, Notification.FAILED: 0}
        for row in (Notification.objects.filter(status__in=list(waiting)).values("status")
                    .annotate(n=Count("id")).order_by()):
            waiting[row["status"]] = row["n"]
        for status, n in waiting.items():
            notes.add_metric([status], n)
        yield notes

        queues = GaugeMetricFamily("greenshell_celery_queue_length", "Tasks waiting on each Celery queue",
                                   labels=["queue"])
        client = scans.redis_client()
        if client is not None:
            try:
                for queue in settings.WORKER_QUEUES:
                    queues.add_metric([queue], client.llen(queue))
            except Exception:
                logger.warning("Celery queues unreadable for metrics", exc_info=True)
        yield queues


def _outcome(outcome):
    def count(sender=None, **kwargs):
        TASKS.labels(task=getattr(sender, "name", str(sender)), outcome=outcome).inc()
    return count


# Connected once at import (weak=False: the receivers are closures that would otherwise be collected).
task_success.connect(_outcome("succeeded"), weak=False, dispatch_uid="greenshell.metrics.succeeded")
task_failure.connect(_outcome("failed"), weak=False, dispatch_uid="greenshell.metrics.failed")
task_retry.connect(_outcome("retried"), weak=False, dispatch_uid="greenshell.metrics.retried")
