"""Celery queues: label sheets, settlements and notifications each on their own queue, so that a label
sheet of 2,000 boxes never waits in front of a household's payment text (coop/settings.py
``CELERY_TASK_ROUTES``; docs/DEPLOY.md, "Scaling out")."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from coop.celery import app
from tests.conftest import requires_redis, use_routes

ROOT = Path(__file__).resolve().parents[2]
OWN_QUEUES = {
    "quality.tasks.make_label_sheet": "labels",
    "coop.tasks.run_settlement": "settlements",
    "coop.tasks.send_notification": "notifications",
    "coop.notifications.requeue_stuck": "notifications",
    "quality.tasks.notify_recall_buyers": "notifications",
}
DEFAULT_QUEUE_TASKS = ["orders.tasks.cancel_unpaid_orders", "orders.tasks.deliver_sandbox_notification",
                       "quality.tasks.flush_scans", "coop.ping"]


def _queue_of(name):
    return app.amqp.router.route({}, name)["queue"].name


def test_it_puts_labels_settlements_and_notifications_on_their_own_queues():
    app.loader.import_default_modules()
    for name, queue in OWN_QUEUES.items():
        assert name in app.tasks, name  # a renamed task would silently fall back to the default queue
        assert _queue_of(name) == queue, name
    for name in DEFAULT_QUEUE_TASKS:
        assert name in app.tasks, name
        assert _queue_of(name) == "celery", name


def _worker_queues(command):
    return set(re.search(r"-Q\s+(\S+)", command).group(1).split(","))


def test_the_deployed_workers_take_every_queue():
    """A queue no worker takes is a task that never runs: the systemd unit and compose name them all."""
    routed = {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert set(settings.WORKER_QUEUES) == routed
    unit = (ROOT / "deploy" / "greenshell-worker.service").read_text().replace("\\\n", " ")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert _worker_queues(exec_start) == routed
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert _worker_queues(compose["services"]["worker"]["command"]) == routed


@requires_redis
def test_on_the_real_broker_a_label_sheet_and_a_notification_wait_in_different_queues():
    """No worker: the messages stay in Redis, where the lists show which queue each went to."""
    import redis

    from coop.services.notifications import send_notification
    from quality.services.labels import make_label_sheet

    prefix = f"test-queues-{id(app)}"
    routes = {name: {"queue": f"{prefix}-{r['queue']}"} for name, r in settings.CELERY_TASK_ROUTES.items()}
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [f"{prefix}-labels", f"{prefix}-notifications", f"{prefix}-settlements"]
    previous = (app.conf.task_always_eager, app.conf.task_routes)
    app.conf.task_always_eager = False
    use_routes(app, routes)
    try:
        for _sheet in range(3):
            make_label_sheet.apply_async(args=[0])
        send_notification.delay(0)
        assert client.llen(f"{prefix}-labels") == 3
        assert client.llen(f"{prefix}-notifications") == 1
        body = json.loads(client.lindex(f"{prefix}-notifications", 0))
        assert body["headers"]["task"] == "coop.tasks.send_notification"
    finally:
        client.delete(*keys)
        app.conf.task_always_eager = previous[0]
        use_routes(app, previous[1])


@pytest.fixture(autouse=True)
def _routes_restored():
    yield
    assert app.conf.task_routes == settings.CELERY_TASK_ROUTES
