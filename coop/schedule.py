"""Periodic tasks of this app, merged into CELERY_BEAT_SCHEDULE by coop/settings.py.

Example: {"flush-scans": {"task": "quality.tasks.flush_scans", "schedule": 30.0}}
"""

BEAT_SCHEDULE = {
    # Resend notifications a dead worker or a failed first try left behind (coop/services/notifications.py).
    "notifications-requeue-stuck": {"task": "coop.notifications.requeue_stuck", "schedule": 300.0},
}
