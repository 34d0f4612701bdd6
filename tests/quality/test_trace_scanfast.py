"""The scan page's WSGI fast path (quality/views/scanfast.py): the same answer as Django, byte for
byte and header for header, the same scan recorded, and everything unusual left to Django."""

import datetime
import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from quality.models import Scan
from quality.services import scans
from quality.views.scanfast import ScanFastPath
from tests.conftest import requires_redis
from tests.factories import make_batch, make_cooperative

WECHAT = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"


class CountingDjango:
    """Django's own WSGI handler, counting the requests the fast path handed to it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def apps():
    # As Django's test client does: the test's transaction must survive the requests' signals.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    django = CountingDjango()
    yield django, ScanFastPath(django)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def environ_for(path, query="", method="GET", **headers):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "REMOTE_ADDR": "203.0.113.7",
               "HTTP_HOST": "testserver", "HTTP_USER_AGENT": WECHAT, "wsgi.input": io.BytesIO(b"")}
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    setup_testing_defaults(environ)
    return environ


def call(app, environ):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, list(headers)

    body = b"".join(app(dict(environ), start_response))
    return seen["status"], seen["headers"], body


def assert_same(fast_answer, django_answer):
    """Status, every header in order, every byte of the body."""
    assert fast_answer[0] == django_answer[0]
    assert fast_answer[1] == django_answer[1]
    assert fast_answer[2] == django_answer[2]


def served_by_fast_path(django, fast, environ):
    before = django.calls
    answer = call(fast, environ)
    return answer, django.calls == before


@pytest.fixture
def batch(db):
    return make_batch(make_cooperative(gtin="06901234567892"), boxes=3)


def _paths(batch):
    box = batch.trace.boxes.order_by("serial").last()
    return {
        "code": (f"/t/{batch.trace.code}", ""),
        "code, slash": (f"/t/{batch.trace.code}/", ""),
        "box": (f"/t/{box.code}", ""),
        "digital link": (f"/01/06901234567892/10/{batch.code}", ""),
        "digital link, box, best-before": (f"/01/06901234567892/10/{batch.code}/21/{box.code}",
                                           f"15={batch.best_before:%y%m%d}"),
    }


VARIANTS = {
    "no language": {},
    "english browser": {"accept_language": "en-US,en;q=0.9"},
    "chinese browser": {"accept_language": "zh-CN,zh;q=0.9"},
    "language cookie": {"accept_language": "zh-CN", "cookie": "django_language=en"},
}


@requires_redis
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("which", ["code", "code, slash", "box", "digital link", "digital link, box, best-before"])
def test_the_fast_answer_is_djangos_answer_header_for_header(batch, apps, variant, which):
    django, fast = apps
    path, query = _paths(batch)[which]
    environ = environ_for(path, query, **VARIANTS[variant])
    first = call(fast, environ)  # a miss: Django renders, caches, remembers the code
    assert first[0] == "200 OK"
    fast_answer, fast_served = served_by_fast_path(django, fast, environ)
    django_answer = call(django, environ)
    assert fast_served, "the warm scan should not have reached Django"
    assert_same(fast_answer, django_answer)
    assert dict(fast_answer[1])["Content-Language"] == ("en" if "en" in str(VARIANTS[variant]) else "zh-hans")


@requires_redis
def test_over_https_with_hsts_the_headers_still_match(batch, apps, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    django = CountingDjango()  # SecurityMiddleware reads its settings when the handler is made
    fast = ScanFastPath(django)
    environ = environ_for(f"/t/{batch.trace.code}", x_forwarded_proto="https")
    call(fast, environ)
    fast_answer, fast_served = served_by_fast_path(django, fast, environ)
    assert fast_served
    assert_same(fast_answer, call(django, environ))
    assert dict(fast_answer[1])["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@requires_redis
def test_the_fast_path_records_the_same_scan_line(batch, apps, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    django, fast = apps
    box = batch.trace.boxes.order_by("serial").first()
    batch.best_before = datetime.date(2020, 1, 1)  # a box scanned after its best-before
    batch.save(update_fields=["best_before"])
    environ = environ_for(f"/t/{box.code}", x_real_ip="198.51.100.23", accept_language="en-GB,en;q=0.8")
    call(fast, environ)  # Django (a miss)
    (_answer, fast_served) = served_by_fast_path(django, fast, environ)
    assert fast_served
    scans.flush_scans()
    slow, quick = Scan.objects.order_by("id")
    fields = ("trace_id", "box_id", "network_hash", "browser", "language", "via", "past_best_before")
    assert [getattr(quick, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert quick.network_hash == scans.network_hash("198.51.100.23")  # CLIENT_IP_HEADER, not REMOTE_ADDR
    assert (quick.browser, quick.language, quick.past_best_before, quick.box_id) == ("wechat", "en-GB", True, box.pk)


@requires_redis
def test_n_scans_through_the_wsgi_app_are_n_scans_recorded(batch, apps, django_assert_num_queries):
    django, fast = apps
    environ = environ_for(f"/t/{batch.trace.code}", accept_language="zh-CN")
    call(fast, environ)  # warm: rendered once, by Django
    n = 300
    with django_assert_num_queries(0):
        statuses = [call(fast, environ)[0] for _i in range(n)]
    assert statuses == ["200 OK"] * n and django.calls == 1
    assert scans.flush_scans() == n + 1
    assert Scan.objects.filter(trace=batch.trace).count() == n + 1
    assert len(set(Scan.objects.values_list("uid", flat=True))) == n + 1


UNUSUAL = {
    "HEAD": dict(method="HEAD"),
    "POST": dict(method="POST"),
    "switching language": dict(query="lang=en"),
    "another query": dict(query="utm_source=wechat"),
    "session cookie": dict(cookie="sessionid=abc"),
    "csrf cookie": dict(cookie="csrftoken=abc"),
    "a host Django refuses": dict(host="evil.example"),
}


@requires_redis
@pytest.mark.parametrize("case", UNUSUAL)
def test_anything_unusual_goes_to_django(batch, apps, case):
    django, fast = apps
    path = f"/t/{batch.trace.code}"
    call(fast, environ_for(path))  # the page is cached and the code remembered
    options = dict(UNUSUAL[case])
    method, query = options.pop("method", "GET"), options.pop("query", "")
    environ = environ_for(path, query, method, **options)
    answer, fast_served = served_by_fast_path(django, fast, environ)
    assert not fast_served
    assert answer == call(django, environ) or case == "csrf cookie"  # (that one may differ only by a new token)


@requires_redis
def test_a_bad_digital_link_date_goes_to_django_even_for_a_known_lot(batch, apps):
    django, fast = apps
    path = f"/01/06901234567892/10/{batch.code}"
    call(fast, environ_for(path))
    answer, fast_served = served_by_fast_path(django, fast, environ_for(path, "15=261399"))
    assert not fast_served and answer[0].startswith("400")


@requires_redis
def test_a_miss_is_recorded_once_by_django_and_redis_failing_loses_nothing(batch, apps, monkeypatch):
    from quality.services import scanpage

    django, fast = apps
    environ = environ_for(f"/t/{batch.trace.code}")
    call(fast, environ)
    scanpage.invalidate(batch.trace.pk)  # a status change: the page must be rendered again
    answer, fast_served = served_by_fast_path(django, fast, environ)
    assert not fast_served and answer[0] == "200 OK"

    def timed_out(*args, **kwargs):
        raise TimeoutError("Redis did not answer in time")

    monkeypatch.setattr(scanpage, "fetch_cached_and_record", timed_out)
    answer, fast_served = served_by_fast_path(django, fast, environ)
    assert not fast_served and answer[0] == "200 OK"
    assert scans.flush_scans() == 3 and Scan.objects.count() == 3


def test_without_redis_django_answers_every_scan(db, apps, settings):
    settings.REDIS_URL = ""
    monkey = scans._client
    scans._client = None
    try:
        django, fast = apps
        batch = make_batch(make_cooperative())
        environ = environ_for(f"/t/{batch.trace.code}")
        for _i in range(3):
            answer, fast_served = served_by_fast_path(django, fast, environ)
            assert answer[0] == "200 OK" and not fast_served
        assert Scan.objects.filter(trace=batch.trace).count() == 3
    finally:
        scans._client = monkey
