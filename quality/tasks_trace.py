"""Celery tasks of traceability. Each takes primary keys and is safe to run twice."""

from celery import shared_task


@shared_task(name="quality.tasks.flush_scans", ignore_result=True)
def flush_scans():
    from quality.services.scans import flush_scans as flush

    return flush()


@shared_task(name="quality.tasks.make_label_sheet", bind=True, max_retries=3, default_retry_delay=10)
def make_label_sheet(self, sheet_id):
    from quality.services.labels import build_label_sheet

    return build_label_sheet(sheet_id)


@shared_task(name="quality.tasks.notify_recall_buyers", bind=True, max_retries=5, default_retry_delay=60)
def notify_recall_buyers(self, batch_id):
    from quality.services.recall import notify_buyers

    return notify_buyers(batch_id)
