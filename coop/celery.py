"""The Celery app. Without REDIS_URL the settings make every task run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

app = Celery("greenshell")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()



def start_embedded_beat(schedule=None):
    """Run the periodic work (``CELERY_BEAT_SCHEDULE``) in a thread of this process, for `make run`.

    On a fresh clone there is no broker and no worker: tasks run eagerly, in the process that sends them.
    Celery's own beat, embedded in a thread (``celery.beat.EmbeddedService``), then does what the beat
    process does in production — the same schedule, the same due-time arithmetic — and each task it sends
    runs right there. Unpaid orders expire, group buys close, appeal windows end, scans are flushed, as
    they will on the real deployment. The in-memory scheduler keeps no schedule file.

    ``schedule`` replaces the configured table (tests use a fast one). Returns the started service.
    """
    from celery.beat import EmbeddedService

    if schedule is not None:
        app.conf.beat_schedule = schedule
    service = EmbeddedService(app, thread=True, scheduler_cls="celery.beat:Scheduler", max_interval=5)
    service.start()
    return service
