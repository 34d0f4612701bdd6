"""Every served scan is counted exactly once, and the scan page costs no database write."""

import urllib.request

from django.db import connection

from quality.models import Scan
from quality.services import scans
from tests.conftest import requires_postgres, requires_redis
from tests.factories import make_batch, make_cooperative
from tests.trust.parallel import http_status, run_parallel

BURST = 60


def _burst(url, n):
    """``n`` scans of one code, ``run_parallel``'s threads at once. Sent once each (``attempts=1``): a
    resend could count a scan twice, and a scan that never got through must fail the test."""
    req = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0",
                                               "Accept-Language": "zh-CN,zh;q=0.9"})
    return run_parallel([lambda: http_status(req, attempts=1) for _i in range(n)])


def test_a_concurrent_burst_of_scans_is_counted_exactly(transactional_db, live_server, settings):
    batch = make_batch(make_cooperative())
    statuses = _burst(f"{live_server.url}/t/{batch.trace.code}", BURST)
    assert statuses == [200] * BURST
    scans.flush_scans()
    assert Scan.objects.filter(trace=batch.trace).count() == BURST
    assert scans.pending_count() == 0
    scan = Scan.objects.filter(trace=batch.trace).first()
    assert scan.browser == "wechat" and scan.language == "zh-CN" and len(scan.network_hash) == 16


@requires_redis
def test_with_redis_a_scan_writes_nothing_until_the_flush(db, client, django_assert_num_queries):
    batch = make_batch(make_cooperative())
    url = f"/t/{batch.trace.code}"
    client.get(url)
    with django_assert_num_queries(0):
        for _i in range(5):
            client.get(url)
    assert Scan.objects.count() == 0 and scans.pending_count() == 6
    assert scans.flush_scans() == 6
    assert Scan.objects.count() == 6


@requires_redis
def test_a_flush_that_died_after_inserting_is_repeated_without_double_counting(db, rf):
    batch = make_batch(make_cooperative())
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    for _i in range(4):
        scans.record_scan(trace_id=batch.trace.pk, box_id=None, via="short", request=request, past_best_before=False)
    client = scans.redis_client()
    # Simulate a crash: the buffer was moved aside and inserted, but never deleted.
    client.rename(scans.buffer_key(), scans._processing_key())
    scans._insert(client.lrange(scans._processing_key(), 0, -1))
    assert Scan.objects.count() == 4
    scans.record_scan(trace_id=batch.trace.pk, box_id=None, via="short", request=request, past_best_before=False)
    assert scans.flush_scans() == 4  # the leftover list first
    assert scans.flush_scans() == 1  # then the new scan
    assert Scan.objects.count() == 5 and scans.pending_count() == 0


@requires_postgres
@requires_redis
def test_the_periodic_task_flushes_through_a_real_worker(celery_worker, settings):
    import time

    from django.test import RequestFactory

    from quality.tasks import flush_scans

    batch = make_batch(make_cooperative())
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    for _i in range(10):
        scans.record_scan(trace_id=batch.trace.pk, box_id=None, via="short", request=request, past_best_before=False)
    flush_scans.delay()
    deadline = time.time() + 30
    while time.time() < deadline and Scan.objects.count() < 10:
        time.sleep(0.3)
    assert Scan.objects.count() == 10


def test_the_network_hash_groups_a_network_and_hides_the_address(settings):
    a, b, c = scans.network_hash("203.0.113.9"), scans.network_hash("203.0.113.200"), scans.network_hash("198.51.100.7")
    assert a == b != c and "203" not in a
    assert scans.network_hash("not-an-ip") == ""


def test_a_box_scanned_from_many_networks_is_flagged_as_a_possible_clone(db):
    import datetime

    from django.utils import timezone

    from quality.services.trace import issue_box_codes

    batch = make_batch(make_cooperative(), boxes=2)  # packing makes one box code per box
    issue_box_codes(batch.trace, 2)
    box1, box2 = batch.trace.boxes.order_by("serial")
    now = timezone.now()
    rows = [Scan(uid=f"u{i}", trace=batch.trace, box=box1, scanned_at=now, network_hash=f"net{i}") for i in range(6)]
    rows += [Scan(uid=f"v{i}", trace=batch.trace, box=box2, scanned_at=now, network_hash="home") for i in range(9)]
    rows.append(Scan(uid="late", trace=batch.trace, scanned_at=now + datetime.timedelta(days=60)))
    Scan.objects.bulk_create(rows)
    flags = scans.suspicion_flags(batch.trace)
    assert any(box1.code in f and "可能是仿冒标签" in f for f in flags)
    assert not any(box2.code in f for f in flags)
    assert any("保质期过后" in f for f in flags)
    assert connection.vendor in ("sqlite", "postgresql")


@requires_redis
def test_a_scan_line_of_a_vanished_code_does_not_block_the_flush(db, rf):
    batch = make_batch(make_cooperative())
    request = rf.get("/", REMOTE_ADDR="203.0.113.9")
    scans.record_scan(trace_id=batch.trace.pk + 10_000, box_id=None, via="short", request=request,
                      past_best_before=False)
    scans.record_scan(trace_id=batch.trace.pk, box_id=None, via="short", request=request, past_best_before=False)
    assert scans.flush_scans() == 1
    assert Scan.objects.count() == 1 and scans.pending_count() == 0
