"""The Celery app. Without REDIS_URL the settings make every task run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

app = Celery("greenshell")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="coop.ping")
def ping():
    """Answers 'pong'; /healthz and the worker tests use it to prove a worker is alive."""
    return "pong"
