"""Celery tasks of the collective. Each takes primary keys and is safe to run twice."""

from celery import shared_task

from coop.services import notifications


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_notification(self, notification_id):
    try:
        return notifications.deliver(notification_id)
    except Exception as exc:  # channel failure: retry with back-off, the row says why
        raise self.retry(exc=exc) from exc
