"""/metrics for the operator's Prometheus: requests, tasks, the scan buffer and the message queue; only to the
scraper (a bearer token or an allowed address), a 404 to anyone else."""

import pytest

from coop.models import Notification
from coop.services.notifications import notify
from quality.services import scans
from quality.services.metrics import TASKS
from tests.factories import make_batch, make_cooperative

pytestmark = pytest.mark.django_db


@pytest.fixture
def scraper(settings, client):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    return lambda: client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")


def value(text, name):
    """The sample ``name`` (with its labels, as printed) from the exposition text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the metrics:\n{text[:2000]}")


def test_metrics_are_a_404_to_anyone_but_the_scraper(settings, client, personas, client_for):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client_for(personas.manager_a).get("/metrics").status_code == 404  # signed in is not enough
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.9"]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 404


def test_the_queue_the_buffer_and_the_requests_are_reported(scraper, client, personas, monkeypatch):
    notify(event="test.note", key="metrics:1", body="测试", phone="13800001234")
    Notification.objects.filter(dedupe_key="metrics:1").update(status=Notification.FAILED)
    notify(event="test.note", key="metrics:2", body="测试", phone="13800001234")
    Notification.objects.filter(dedupe_key="metrics:2").update(status=Notification.QUEUED)
    monkeypatch.setattr(scans, "pending_count", lambda: 17)
    client.get("/healthz")
    r = scraper()
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    text = r.content.decode()
    assert value(text, 'greenshell_notifications{status="failed"}') == 1
    assert value(text, 'greenshell_notifications{status="queued"}') == 1
    assert value(text, "greenshell_scan_buffer_pending") == 17
    assert "django_http_requests_total_by_view_transport_method_total" in text


def test_a_finished_task_is_counted(scraper):
    before = TASKS.labels(task="quality.tasks.flush_scans", outcome="succeeded")._value.get()
    scans.flush_scans_task.apply()  # run here, through Celery's tracer (what a worker does with it)
    after = TASKS.labels(task="quality.tasks.flush_scans", outcome="succeeded")._value.get()
    assert after == before + 1
    assert "greenshell_celery_tasks_total" in scraper().content.decode()


def test_the_buffer_is_read_from_redis_when_it_is_there(scraper, settings):
    if not settings.REDIS_URL:
        pytest.skip("the scan buffer is in Redis only with REDIS_URL (CI's PostgreSQL run)")
    batch = make_batch(make_cooperative())
    scans.flush_scans()
    from django.test import RequestFactory

    scans.record_scan(trace_id=batch.trace.pk, box_id=None, via="s", request=RequestFactory().get("/"),
                      past_best_before=False)
    assert value(scraper().content.decode(), "greenshell_scan_buffer_pending") >= 1
    scans.flush_scans()
