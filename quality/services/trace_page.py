"""What the public scan page says about a batch — and the cache that makes it cheap.

The page is rendered once per (trace code, language, day) and kept in the cache; a scan served
from the cache runs no SQL at all. The day is in the key because "past best-before" changes at
midnight; a recall or status change deletes the keys at once (``invalidate``).
"""

import datetime

from django.apps import apps
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from coop.models import REJECT_CODES, Batch

PAGE_TTL = 300  # seconds; a status change made outside our services shows up within this
CODE_TTL = 24 * 3600  # a code → batch mapping never changes; the TTL only bounds memory
BOX_MARK = "<!--box-->"


def code_key(code):
    return f"trace:code:{code}"


def page_key(trace_id, lang, day):
    return f"trace:page:{trace_id}:{lang}:{day:%Y%m%d}"


def invalidate(trace_id):
    """Forget the rendered pages of a batch (recall, certificate, status change)."""
    from django.conf import settings

    today = timezone.localdate()
    days = [today + datetime.timedelta(days=d) for d in (-1, 0, 1)]
    cache.delete_many([page_key(trace_id, lang, day) for lang, _n in settings.LANGUAGES for day in days])


def confirmed_bad_egg_reports(batch):
    """(reports, eggs) confirmed bad for this batch, from the charter's BadEggReport when it exists."""
    try:
        model = apps.get_model("quality", "BadEggReport")
    except LookupError:
        return None
    fields = {f.name for f in model._meta.get_fields()}
    if not {"batch", "status"} <= fields:
        return None
    qs = model.objects.filter(batch=batch, status="confirmed")
    eggs = qs.aggregate(n=Sum("eggs"))["n"] if "eggs" in fields else None
    return {"reports": qs.count(), "eggs": eggs or 0}


def page_context(trace):
    batch = (Batch.objects.select_related("cooperative").get(pk=trace.batch_id))
    coop = batch.cooperative
    contributions = list(batch.contributions.select_related("delivery__farmer__village"))
    deliveries = [c.delivery for c in contributions]
    villages = {}
    for d in deliveries:
        villages[d.farmer.village_id] = d.farmer.village
    households = {d.farmer_id: d.farmer for d in deliveries}
    brought = sum(d.eggs_brought for d in deliveries)
    rejected = sum(d.rejected for d in deliveries)
    by_defect = {code: sum(getattr(d, f"rejected_{code}") for d in deliveries) for code in REJECT_CODES}
    certificate = getattr(batch, "certificate", None) if hasattr(batch, "certificate") else None
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
        "bad_egg_reports": confirmed_bad_egg_reports(batch),
        "certificate": certificate,
        "past_best_before": batch.is_past_best_before(),
        "recalled": batch.status == Batch.RECALLED,
    }
