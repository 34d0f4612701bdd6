"""Celery tasks of the collective. Each takes primary keys and is safe to run twice."""

from celery import shared_task

from coop.services import notifications


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_notification(self, notification_id):
    try:
        return notifications.deliver(notification_id)
    except Exception as exc:  # channel failure: retry with back-off, the row says why
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=60)
def run_settlement(self, run_id):
    """Settle a cooperative's month village by village, updating the run's progress row.

    Every step is idempotent (see coop/services/settlements.py), so a retry or a duplicate
    delivery of this task never settles a line twice.
    """
    from coop.services.settlements import execute_run

    run = execute_run(run_id)
    return run.pk if run else None
