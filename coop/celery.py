"""The Celery app. Without REDIS_URL the settings make every task run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

app = Celery("greenshell")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

