"""Excel/CSV export of bad-egg reports and what came of them (penalties per household)."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from quality.models import BadEggReport, Penalty


def reports_table(cooperative_ids, since=None):
    headers = [_("受理编号"), _("提交时间"), _("来源"), _("批次"), _("坏蛋枚数"), _("问题"), _("蛋上喷码"),
               _("状态"), _("处理说明"), _("处理时间"), _("涉及农户与处罚"), _("合并的重复报告")]
    qs = (BadEggReport.objects.filter(cooperative__in=cooperative_ids).select_related("batch")
          .prefetch_related(Prefetch("penalties", queryset=Penalty.objects.select_related("farmer").order_by("id")))
          .order_by("created_at", "id"))
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    rows = ([r.reference, timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"), r.get_source_display(),
             r.batch.code, r.eggs, r.get_defect_display(), r.stamp_code, r.get_status_display(), r.status_reason,
             timezone.localtime(r.decided_at).strftime("%Y-%m-%d %H:%M") if r.decided_at else "",
             "；".join(f"{p.farmer.member_no} {p.farmer.head_name} {p.eggs}枚 {p.sanction_summary()}"
                      f"（{p.get_status_display()}）" for p in r.penalties.all()),
             r.duplicates_merged]
            for r in qs.iterator(chunk_size=500))
    return _("坏蛋报告"), headers, rows
