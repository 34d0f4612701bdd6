"""Celery tasks of the charter. Each is safe to run twice (the services compare-and-set)."""

from celery import shared_task

from quality.services import penalties


@shared_task(name="quality.tasks.apply_due_penalties")
def apply_due_penalties():
    """Apply every notified penalty whose appeal window has closed; returns how many were applied."""
    return penalties.apply_due_penalties()
