"""Periodic tasks of this app, merged into CELERY_BEAT_SCHEDULE by coop/settings.py.

Example: {"flush-scans": {"task": "quality.tasks.flush_scans", "schedule": 30.0}}
"""

BEAT_SCHEDULE = {}
