"""The scan page's fast path: a thin WSGI dispatch in front of Django for ``GET /t/<code>`` and the
GS1 Digital Link form, when the rendered page is already in Redis.

The scan page is printed on every box: it is the most-requested page there is, and a warm one is a
Redis read and an RPUSH. Going through Django's eleven middlewares and the URL resolver for that cost
more than the page itself (issue 18: 50 % of a static file's rate). So ``ScanFastPath`` answers a warm
scan itself — the same body, the same headers (``fast_headers``, checked header by header against
Django's own response in tests/quality/test_trace_scanfast.py) and the same scan line
(``scans.scan_line`` on a real ``WSGIRequest``, so the network hash honours ``CLIENT_IP_HEADER`` through
``coop.lib.client``) — and hands everything else to Django untouched:

- not a GET (HEAD is answered by Django and not counted), or a query string (``?lang=`` sets a
  cookie; only a Digital Link's own ``?15=YYMMDD`` is understood here);
- any cookie but the language cookie (a session or CSRF cookie can make Django answer differently:
  a signed-in user, a refreshed token, a message to show);
- a host Django would refuse, a plain-HTTP request Django would redirect, a disallowed user agent;
- a code this process has not resolved yet, a page not cached for (code, language, day), no Redis;
- any error at all (logged), before anything was sent.

A miss records nothing (the Redis script appends the scan only if the page was there), so Django
records it, once. If Redis failed after the script may have run, Django gets the same scan uid
(``FAST_UID`` in the environ) and the flush's ``ignore_conflicts`` counts it once.
"""

import logging
import re
from functools import lru_cache

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http.cookie import parse_cookie
from django.template.loader import render_to_string
from django.utils import timezone, translation

from quality.services import scanpage, scans
from quality.services.trace import MalformedLink, clean_code, parse_digital_link

logger = logging.getLogger("greenshell.scans")

FAST_UID = "greenshell.scan_uid"  # an environ key: no client header can set it (those are HTTP_*)
# The same patterns as quality/urls.py's trace-scan and trace-digital-link (anchored on the full path).
SCAN_PATH = re.compile(r"/t/([A-Za-z0-9\-]{1,40})/?")
DL_PATH = re.compile(r"/01/([^/]*)/10/([^/]*)(?:/21/([^/]*))?/?")
DL_QUERY = re.compile(r"15=(\d{6})")


@lru_cache(maxsize=4096)
def _box_html(lang, serial, code):
    with translation.override(lang):
        return render_to_string("quality/trace/_box.html", {"serial": serial, "code": code})


def with_box(html, lang, serial, code=""):
    """The cached page with its box put in as its label names it ("第 3 盒 · K7M…": the box's number and the
    code printed under its QR, so the page and the box in hand say the same thing); the same for both paths.
    ``code`` is empty for an entry cached before it was kept."""
    return html.replace(scanpage.BOX_MARK, _box_html(lang, serial, code), 1)


@lru_cache(maxsize=16)
def fast_headers(lang, secure):
    """The headers Django's middleware gives a served scan page, in Django's order, without
    Content-Length. Built from the same settings and libraries the middleware reads (django-csp's
    ``build_policy``); the test compares them with a real Django response so they cannot drift."""

    from csp.utils import build_policy

    headers = [
        ("Content-Type", f"text/html; charset={settings.DEFAULT_CHARSET}"),
        ("Cache-Control", "no-cache"),  # quality/views/trace.py: every visit must reach us to be counted
    ]
    if settings.X_FRAME_OPTIONS:
        headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    tail = [("Vary", "Accept-Language, Cookie"), ("Content-Language", lang)]
    # django-csp answers "" for a policy that is not configured, and the middleware then sends none.
    for name, policy in (("Content-Security-Policy", build_policy()),
                         ("Content-Security-Policy-Report-Only", build_policy(report_only=True))):
        if policy:
            tail.append((name, policy))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        tail.append(("Strict-Transport-Security", hsts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        tail.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        tail.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        tail.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return headers, tail


@lru_cache(maxsize=1)
def _enabled():
    # With language-prefixed URLs LocaleMiddleware would also read the path: leave that to Django.
    return not is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]


@receiver(setting_changed)
def _settings_changed(**kwargs):  # tests change settings; production never does
    fast_headers.cache_clear()
    _box_html.cache_clear()
    _enabled.cache_clear()


def _entry(environ, path):
    """(remembered entry, cache key) for a scan-page path, or ``None``."""
    query = environ.get("QUERY_STRING", "")
    match = SCAN_PATH.fullmatch(path)
    if match:
        if query:
            return None
        key = f"c:{clean_code(match.group(1))}"
        return scanpage.recall_entry(key)
    match = DL_PATH.fullmatch(path)
    if match:
        best_before = DL_QUERY.fullmatch(query) if query else None
        if query and best_before is None:
            return None
        gtin, lot, serial = match.groups()
        try:  # the view checks the syntax on every request (a bad date is a bad link even for a known lot)
            parse_digital_link(gtin, lot, serial, {"15": best_before.group(1)} if best_before else {})
        except MalformedLink:
            return None
        return scanpage.recall_entry(f"dl:{gtin}:{lot}:{serial or ''}")
    return None


def serve(environ):
    """``(headers, body)`` for a warm scan, recorded; ``None`` to let Django answer (nothing recorded)."""

    path = environ.get("PATH_INFO", "")
    if not path.isascii():  # codes are ASCII; leave Django's decoding of anything else to Django
        return None
    entry = _entry(environ, path)
    if entry is None or not _enabled() or settings.DISALLOWED_USER_AGENTS:
        return None
    raw_cookies = environ.get("HTTP_COOKIE")
    if raw_cookies and set(parse_cookie(raw_cookies)) - {settings.LANGUAGE_COOKIE_NAME}:
        return None
    if scans.redis_client() is None:
        return None
    request = WSGIRequest(environ)  # lazy: reads neither the body nor the cookies until asked
    try:
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
    except DisallowedHost:
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None  # SecurityMiddleware redirects (or exempts) it
    # LocaleMiddleware's own negotiation: the language cookie, then Accept-Language.
    lang = translation.get_language_from_request(request)
    today = timezone.localdate()
    line = scans.scan_line(trace_id=entry["trace"], box_id=entry["box"], via=entry["via"], request=request,
                           past_best_before=today.isoformat() > entry["best_before"])
    environ[FAST_UID] = line["uid"]
    html = scanpage.fetch_cached_and_record(entry["trace"], lang, today, line)
    if html is None:
        return None
    if entry["serial"]:
        html = with_box(html, lang, entry["serial"], entry.get("box_code", ""))
    body = html.encode(settings.DEFAULT_CHARSET)
    head, tail = fast_headers(lang, secure)
    return [*head, ("Content-Length", str(len(body))), *tail], body


class ScanFastPath:
    """WSGI middleware: warm scan pages answered here, every other request by ``django_app``."""

    def __init__(self, django_app):
        self.django_app = django_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith(("/t/", "/01/")):
            try:
                answer = serve(environ)
            except Exception:  # never a failed scan because of the shortcut: Django answers it
                logger.warning("scan fast path failed; handing the request to Django", exc_info=True)
                answer = None
            if answer is not None:
                headers, body = answer
                start_response("200 OK", headers)
                return [body]
        return self.django_app(environ, start_response)
