"""What the public scan page says about a batch — and the caches that make it cheap.

A scan served warm costs one Redis round trip and no SQL:

- code → batch is immutable, so each worker process remembers it (``remember``/``recall_entry``);
- the page is rendered once per (batch, language, day) and kept in Redis; fetching it and
  appending the scan line to the scan buffer go in one pipelined round trip (``fetch_and_record``).

The day is in the key because "past best-before" changes at midnight; a recall or status change
deletes the keys at once (``invalidate``). Without Redis the page is kept in Django's cache and
the scan is written to the database.
"""

import datetime
import json
import logging
import threading
from collections import OrderedDict
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils import timezone

from coop.models import REJECT_CODES, Batch, BatchContribution
from quality.services import scans
from quality.services.scans import _prefix

PAGE_TTL = 300  # seconds; a status change made outside our services shows up within this
BOX_MARK = "<!--box-->"


logger = logging.getLogger("greenshell.scans")
LOCAL_MAX = 50000  # code → batch entries a worker remembers (a few MB at most)
_local = OrderedDict()
_local_lock = threading.Lock()


def recall_entry(key):
    with _local_lock:
        entry = _local.get(key)
        if entry is not None:
            _local.move_to_end(key)
        return entry


def remember(key, entry):
    with _local_lock:
        _local[key] = entry
        if len(_local) > LOCAL_MAX:
            _local.popitem(last=False)


def forget(key):
    with _local_lock:
        _local.pop(key, None)


def forget_local():
    with _local_lock:
        _local.clear()


def page_key(trace_id, lang, day):
    return f"trace:page:{trace_id}:{lang}:{day:%Y%m%d}"


def _raw(key):

    return f"{_prefix()}:{key}"


def fetch_and_record(trace_id, lang, day, line):
    """The cached page (or ``None``) and, when ``line`` is given, the scan appended to the buffer —
    in one Redis round trip. Without Redis (or if it fails) the scan is written to the database."""

    key = page_key(trace_id, lang, day)
    client = scans.redis_client()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            pipe.get(_raw(key))
            if line is not None:
                pipe.rpush(scans.buffer_key(), json.dumps(line, separators=(",", ":")))
            html = pipe.execute()[0]
            return html.decode() if html is not None else None
        except Exception:  # Redis down: still answer, and keep the scan
            logger.warning("Redis unavailable on a scan; writing the scan to the database", exc_info=True)
            if line is not None:
                scans.write_line(line)
            return None
    if line is not None:
        scans.write_line(line)
    return cache.get(key)


# Read the page and, only if it is there, append the scan: one round trip, and a miss records nothing
# (the fast path then hands the request to Django, which records it once). redis-py's Script runs it
# by EVALSHA and loads it again if the server was restarted.
_FETCH_IF_CACHED = """
local page = redis.call('GET', KEYS[1])
if page then redis.call('RPUSH', KEYS[2], ARGV[1]) end
return page
"""
_scripts = {}


def fetch_cached_and_record(trace_id, lang, day, line):
    """For the WSGI fast path: the cached page with the scan appended to the buffer, or ``None``
    (page not cached, nothing recorded). Needs Redis; raises if Redis fails (the caller falls
    through to Django, which knows what to do without Redis)."""

    client = scans.redis_client()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_FETCH_IF_CACHED)
    html = script(keys=[_raw(page_key(trace_id, lang, day)), scans.buffer_key()],
                  args=[json.dumps(line, separators=(",", ":"))])
    return html.decode() if html is not None else None


def store_page(trace_id, lang, day, html):

    key = page_key(trace_id, lang, day)
    client = scans.redis_client()
    if client is not None:
        try:
            client.set(_raw(key), html.encode(), ex=PAGE_TTL)
        except Exception:
            logger.warning("could not cache a scan page", exc_info=True)
        return
    cache.set(key, html, PAGE_TTL)


def invalidate(trace_id):
    """Forget the rendered pages of a batch (recall, certificate, status change)."""

    today = timezone.localdate()
    days = [today + datetime.timedelta(days=d) for d in (-1, 0, 1)]
    keys = [page_key(trace_id, lang, day) for lang, _n in settings.LANGUAGES for day in days]
    client = scans.redis_client()
    if client is not None:
        client.delete(*[_raw(k) for k in keys])
    cache.delete_many(keys)


def _report_model():
    """(BadEggReport, its field names) when the charter's model exists with a batch and a status, else None."""
    try:
        model = apps.get_model("quality", "BadEggReport")
    except LookupError:
        return None
    fields = {f.name for f in model._meta.get_fields()}
    return (model, fields) if {"batch", "status"} <= fields else None


def confirmed_bad_egg_reports(batch):
    """(reports, eggs) confirmed bad for this batch, from the charter's BadEggReport when it exists."""
    if (found := _report_model()) is None:
        return None
    model, fields = found
    qs = model.objects.filter(batch=batch, status="confirmed")
    eggs = qs.aggregate(n=Sum("eggs"))["n"] if "eggs" in fields else None
    return {"reports": qs.count(), "eggs": eggs or 0}


def page_context(trace):
    batch = (Batch.objects.select_related("cooperative").get(pk=trace.batch_id))
    contributions = list(batch.contributions.select_related("delivery__farmer__village"))
    certificate = getattr(batch, "certificate", None) if hasattr(batch, "certificate") else None
    return _context(trace, batch, contributions, certificate, confirmed_bad_egg_reports(batch))


PAGES_CHUNK = 1000  # batches read together by page_contexts (a chunk's rows stay a few MB)


def page_contexts(traces):
    """``[(trace, page_context(trace))]`` for many trace codes, three queries per ``PAGES_CHUNK`` of them
    instead of five each (the nightly reconciliation reads every batch's page: a province packs 30,000
    batches a month). The same context as ``page_context``, built by the same ``_context``."""
    traces = iter(traces)  # a queryset's .iterator() is fine: read and dropped a chunk at a time
    while chunk := list(islice(traces, PAGES_CHUNK)):
        batch_ids = [t.batch_id for t in chunk]
        batches = Batch.objects.select_related("cooperative", "certificate").in_bulk(batch_ids)
        contributions = {pk: [] for pk in batch_ids}
        for c in BatchContribution.objects.filter(batch_id__in=batch_ids).select_related(
                "delivery__farmer__village").order_by("pk"):
            contributions[c.batch_id].append(c)
        reports = confirmed_bad_egg_reports_of(batch_ids)
        for trace in chunk:
            batch = batches[trace.batch_id]
            certificate = getattr(batch, "certificate", None) if hasattr(batch, "certificate") else None
            yield trace, _context(trace, batch, contributions[trace.batch_id], certificate,
                                  None if reports is None else reports.get(batch.pk, {"reports": 0, "eggs": 0}))


def confirmed_bad_egg_reports_of(batch_ids):
    """``{batch_id: confirmed_bad_egg_reports(batch)}`` in one query (a batch without reports is not listed)."""
    if (found := _report_model()) is None:
        return None
    model, fields = found
    rows = model.objects.filter(batch_id__in=batch_ids, status="confirmed").values("batch_id").annotate(
        reports=Count("id"), **({"eggs": Sum("eggs")} if "eggs" in fields else {}))
    return {r["batch_id"]: {"reports": r["reports"], "eggs": r.get("eggs") or 0} for r in rows}


def _context(trace, batch, contributions, certificate, bad_egg_reports):
    coop = batch.cooperative
    # Each delivery once, even if it reached this batch in two contributions.
    deliveries = list({c.delivery_id: c.delivery for c in contributions}.values())
    villages = {}
    for d in deliveries:
        villages[d.farmer.village_id] = d.farmer.village
    households = {d.farmer_id: d.farmer for d in deliveries}
    brought = sum(d.eggs_brought for d in deliveries)
    rejected = sum(d.rejected for d in deliveries)
    by_defect = {code: sum(getattr(d, f"rejected_{code}") for d in deliveries) for code in REJECT_CODES}
    return {
        "trace": trace,
        "batch": batch,
        "coop": coop,
        "villages": sorted(villages.values(), key=lambda v: -v.altitude_m),
        "household_count": len(households),
        "household_names": sorted(f.head_name for f in households.values()) if coop.publish_farmer_names else [],
        "intake_brought": brought,
        "intake_rejected": rejected,
        "reject_share": (rejected * 100.0 / brought) if brought else None,
        "rejects_by_defect": {k: v for k, v in by_defect.items() if v},
        "bad_egg_reports": bad_egg_reports,
        "certificate": certificate,
        "past_best_before": batch.is_past_best_before(),
        "recalled": batch.status == Batch.RECALLED,
    }
