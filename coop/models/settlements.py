"""The progress of "settle everyone for this month": one row a manager watches while the task runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.models.org import Cooperative


class SettlementRun(models.Model):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [(QUEUED, _("排队中")), (RUNNING, _("进行中")), (DONE, _("已完成")), (FAILED, _("失败"))]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="settlement_runs",
                                    verbose_name=_("合作社"))
    period_start = models.DateField(_("结算期起"))
    period_end = models.DateField(_("结算期止"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=QUEUED)
    steps_total = models.PositiveIntegerField(_("总步数"), default=0)
    steps_done = models.PositiveIntegerField(_("已完成步数"), default=0)
    settlements_created = models.PositiveIntegerField(_("新结算单"), default=0)
    lines_settled = models.PositiveIntegerField(_("结算分录"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批量结算")
        verbose_name_plural = _("批量结算")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.cooperative} {self.period_start}–{self.period_end}"

    @property
    def percent(self):
        if self.status == self.DONE:
            return 100
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0
