"""Scan recording that costs the scan page no database write.

Each served scan page appends one small JSON line to a Redis list (one RPUSH, well under a
millisecond). A periodic Celery task (``quality.tasks.flush_scans``) moves the list aside with an
atomic RENAME, bulk-inserts the rows, then deletes the moved list. Every line carries a random
``uid`` that is unique in the table and inserted with ``ignore_conflicts``: a flush that dies
between the insert and the delete is simply repeated by the next run, and nothing is counted twice
or lost. A Redis lock lets only one flush run at a time (two flushes sharing the one "processing"
list could otherwise delete each other's lines).

Without Redis (a fresh clone on SQLite) there is nothing to buffer into that survives a restart,
so each scan is written straight to the database: slower, never lost.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import threading
from functools import lru_cache

import redis
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.client import client_ip
from quality.models import BoxCode, Scan, TraceCode

logger = logging.getLogger("greenshell.scans")

FLUSH_CHUNK = 2000
# A box code seen from this many distinct networks is shown to the manager as a likely cloned label.
CLONE_NETWORKS = 5
# Scans this long after best-before are shown to the manager (old boxes still on a shelf, or clones).
LATE_SCAN_DAYS = 7

_client = None
_client_lock = threading.Lock()


def _prefix():
    return settings.CACHES["default"].get("KEY_PREFIX") or "gs"


def buffer_key():
    return f"{_prefix()}:scans:buffer"


def _processing_key():
    return f"{_prefix()}:scans:processing"


def redis_client():
    """One connection pool per process (made after gunicorn/celery fork), or ``None`` without Redis."""
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        with _client_lock:
            if _client is None:

                _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _client


# --- what a scan records --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def network_hash(ip):
    """A keyed hash of the client's network (/24 or /48): tells networks apart, identifies nobody.
    (Memoised: a burst of scans comes from few addresses, and this is the scan page's hot path.)"""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if addr.version == 4 else 48
    network = str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))
    key = hashlib.sha256(("scan-network:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()[:16]


_BROWSERS = [  # order matters: in-app browsers first, then engines whose UA names others
    ("bot", ("bot", "spider", "crawl", "curl", "wget", "python-", "wrk", "headless")),
    ("wechat", ("micromessenger",)),
    ("alipay", ("alipayclient",)),
    ("qq", ("mqqbrowser", " qq/")),
    ("dingtalk", ("dingtalk",)),
    ("weibo", ("weibo",)),
    ("uc", ("ucbrowser",)),
    ("edge", ("edg/",)),
    ("firefox", ("firefox",)),
    ("chrome", ("chrome", "crios")),
    ("safari", ("safari",)),
]


@lru_cache(maxsize=1024)
def browser_family(user_agent):
    ua = (user_agent or "").lower()
    for family, needles in _BROWSERS:
        if any(n in ua for n in needles):
            return family
    return "other" if ua else ""


def language_of(request):
    raw = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    return raw.split(",")[0].split(";")[0].strip()[:16]


def scan_line(*, trace_id, box_id, via, request, past_best_before, uid=None):
    """``uid``: the WSGI fast path's, when it tried to record this scan and then handed the request
    to Django (a Redis timeout after the script ran): the same uid makes the flush count it once."""
    return {
        "uid": uid or secrets.token_hex(16),
        "t": trace_id,
        "b": box_id,
        "at": timezone.now().timestamp(),
        "n": network_hash(client_ip(request)),
        "br": browser_family(request.META.get("HTTP_USER_AGENT", "")),
        "l": language_of(request),
        "v": via,
        "x": bool(past_best_before),
    }


def _row(line):
    return Scan(
        uid=line["uid"], trace_id=line["t"], box_id=line.get("b"),
        scanned_at=datetime.datetime.fromtimestamp(line["at"], tz=datetime.UTC),
        network_hash=line.get("n", ""), browser=line.get("br", ""), language=line.get("l", ""),
        via=line.get("v") or Scan.SHORT, past_best_before=bool(line.get("x")),
    )


def write_line(line):
    """Write one scan straight to the database (no Redis, or Redis down)."""
    _row(line).save()


def record_scan(**kwargs):
    """Record one served scan page. Buffered in Redis when configured, else written at once.
    (The scan page itself records through ``scanpage.fetch_and_record`` to save a round trip.)"""
    line = scan_line(**kwargs)
    client = redis_client()
    if client is not None:
        try:
            client.rpush(buffer_key(), json.dumps(line, separators=(",", ":")))
            return
        except Exception:  # Redis down: the page still answers, the scan goes to the database
            logger.warning("scan buffer unavailable; writing the scan directly", exc_info=True)
    _row(line).save()


# --- flushing -------------------------------------------------------------------------------------


def _insert(raw_lines):

    rows = []
    for raw in raw_lines:
        try:
            rows.append(_row(json.loads(raw)))
        except (ValueError, KeyError, TypeError):
            logger.error("dropping an unreadable scan line: %r", raw[:200])
    # A line whose code row no longer exists would fail the whole chunk on its foreign key and
    # block every later flush; drop it (with a log line) instead.
    traces = set(TraceCode.objects.filter(pk__in={r.trace_id for r in rows}).values_list("pk", flat=True))
    boxes = set(BoxCode.objects.filter(pk__in={r.box_id for r in rows if r.box_id}).values_list("pk", flat=True))
    kept = [r for r in rows if r.trace_id in traces and (r.box_id is None or r.box_id in boxes)]
    if len(kept) != len(rows):
        logger.error("dropping %s scan lines of codes that no longer exist", len(rows) - len(kept))
    rows = kept
    for start in range(0, len(rows), FLUSH_CHUNK):
        with transaction.atomic():
            Scan.objects.bulk_create(rows[start:start + FLUSH_CHUNK], ignore_conflicts=True)
    return len(rows)


def flush_scans():
    """Write buffered scans to the database. Returns how many lines were processed."""
    client = redis_client()
    if client is None:
        return 0
    lock = client.lock(f"{_prefix()}:scans:flush-lock", timeout=600, blocking=False)
    if not lock.acquire(blocking=False):
        return 0  # another flush is running; this tick has nothing to add
    try:
        processing = _processing_key()
        total = 0
        # A list left over from a flush that died mid-way is written first (duplicates are ignored).
        if not client.exists(processing):
            try:
                client.rename(buffer_key(), processing)
            except Exception as exc:  # "no such key": nothing was scanned since the last flush
                if "no such key" not in str(exc).lower():
                    raise
                return 0
        raw = client.lrange(processing, 0, -1)
        total += _insert(raw)
        client.delete(processing)
        return total
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired during a very long flush; nothing to release
            pass


def pending_count():
    client = redis_client()
    if client is None:
        return 0
    return client.llen(buffer_key()) + client.llen(_processing_key())


# --- what managers see ----------------------------------------------------------------------------


def scans_per_day(trace, days=30):
    since = timezone.now() - datetime.timedelta(days=days)
    return list(
        trace.scans.filter(scanned_at__gte=since)
        .annotate(day=TruncDate("scanned_at", tzinfo=timezone.get_current_timezone()))
        .values("day").annotate(n=Count("id")).order_by("day")
    )


def suspicious_boxes(trace, threshold=CLONE_NETWORKS):
    """Box codes scanned from ``threshold`` or more distinct networks: likely copied labels."""

    return list(
        BoxCode.objects.filter(trace=trace, scans__network_hash__gt="")
        .annotate(networks=Count("scans__network_hash", distinct=True), scan_count=Count("scans"))
        .filter(networks__gte=threshold).order_by("-networks")
    )


def late_scans(trace, days=LATE_SCAN_DAYS):
    cutoff = trace.batch.best_before + datetime.timedelta(days=days)
    start = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
    return trace.scans.filter(scanned_at__gte=start).count()


def suspicion_flags(trace):
    """Plain-language flags for the manager's batch page."""

    flags = []
    for box in suspicious_boxes(trace):
        flags.append(_("盒码 %(code)s（第 %(serial)s 盒）在 %(n)s 个不同网络被扫码，可能是仿冒标签。")
                     % {"code": box.code, "serial": box.serial, "n": box.networks})
    late = late_scans(trace)
    if late:
        flags.append(_("保质期过后 %(days)s 天以上仍有 %(n)s 次扫码。") % {"days": LATE_SCAN_DAYS, "n": late})
    return flags


@shared_task(name="quality.tasks.flush_scans", ignore_result=True)
def flush_scans_task():
    return flush_scans()
