"""The public notice board (公示栏, 红黑榜) of a village: sanctions the charter says to publish, for
the charter's notice period, with names masked as the cooperative chose — beside the households
that won the hygiene inspection, so the board praises as well as shames."""

import datetime

from django.utils import timezone

from coop import models as coop_models
from quality.models import Charter, Penalty


def mask_name(farmer, how):
    """吉克拉哈 → 吉克** (surname kept), 吉*** (first character), or the member number only.

    Yi names usually start with a two-character clan name (吉克, 阿苏, 沙马); Han names with one.
    """
    name = farmer.head_name or ""
    if how == Charter.MASK_MEMBER_NO:
        return farmer.member_no
    keep = 1 if how == Charter.MASK_FIRST_CHAR or len(name) <= 2 else 2
    return name[:keep] + "*" * max(len(name) - keep, 1)


def sanctions_on_board(village, now=None):
    """Applied penalties with public notice whose notice period (of their own charter) has not ended."""
    now = now or timezone.now()
    rows = []
    qs = (Penalty.objects.filter(farmer__village=village, status=Penalty.APPLIED, public_notice=True,
                                 applied_at__isnull=False)
          .select_related("farmer", "charter", "report", "clause").order_by("-applied_at"))
    for p in qs:
        until = p.applied_at + datetime.timedelta(days=p.charter.notice_days)
        if until < now:
            continue
        rows.append({"name": mask_name(p.farmer, p.charter.name_mask), "defect": p.report.get_defect_display(),
                     "eggs": p.eggs, "clause": p.clause.number, "sanction": p.sanction_summary(),
                     "dated_on": p.dated_on, "until": timezone.localdate(until)})
    return rows


def hygiene_winners(village, now=None):
    """Households of the village that won a hygiene award (卫生评比先进户) in the last year.

    Reads the books' hygiene inspections (``coop.HygieneScore`` with an award). Returns ``None``
    when that part of the product is not installed, so the page can say so instead of lying.
    """

    score_model = getattr(coop_models, "HygieneScore", None)
    if score_model is None:
        return None
    now = now or timezone.now()
    since = timezone.localdate(now) - datetime.timedelta(days=365)
    charter = (Charter.objects.filter(cooperative=village.cooperative, effective_from__lte=timezone.localdate(now))
               .order_by("-effective_from", "-version").first())
    how = charter.name_mask if charter else Charter.MASK_SURNAME
    scores = (score_model.objects.filter(inspection__village=village, inspection__inspected_on__gte=since,
                                         award__gt=0)
              .select_related("farmer", "inspection").order_by("-inspection__inspected_on", "-score")[:50])
    return [{"name": mask_name(s.farmer, how), "score": s.score, "award": s.award, "on": s.inspection.inspected_on}
            for s in scores]
