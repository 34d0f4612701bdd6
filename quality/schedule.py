"""Periodic tasks of this app, merged into CELERY_BEAT_SCHEDULE by coop/settings.py.

Example: {"flush-scans": {"task": "quality.tasks.flush_scans", "schedule": 30.0}}
"""

BEAT_SCHEDULE = {}
BEAT_SCHEDULE["flush-scans"] = {"task": "quality.tasks.flush_scans", "schedule": 10.0}  # scan buffer → DB
BEAT_SCHEDULE["apply-due-penalties"] = {"task": "quality.tasks.apply_due_penalties", "schedule": 600.0}  # appeals
