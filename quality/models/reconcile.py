"""The reconciliation's record: one append-only row per run of ``manage.py reconcile`` or the nightly task."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ReconciliationRun", "RunImmutable"]


class RunImmutable(Exception):
    """Raised when code tries to edit or delete a reconciliation run: what was found stays found."""


class RunQuerySet(models.QuerySet):
    def delete(self):
        raise RunImmutable("reconciliation runs are never deleted")


class ReconciliationRun(models.Model):
    """What one run checked and what it found.

    ``mismatches`` is a list of ``{"kind", "cooperative", "object", "expected", "found", "link"}``:
    ``kind`` names the rule (``settlement.net``, ``batch.eggs`` …), ``object`` the row in words
    ("结算单 12"), ``cooperative`` its cooperative's id (so each office sees its own), ``link`` its admin
    page. The row is written once, when the run has finished, and never changed (the books' own rule).
    """

    COMMAND = "command"
    BEAT = "beat"
    TRIGGERS = [(COMMAND, _("手动（manage.py reconcile）")), (BEAT, _("每晚自动"))]

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)
    trigger = models.CharField(_("发起方式"), max_length=10, choices=TRIGGERS, default=COMMAND)
    checks = models.JSONField(_("核对项目"), default=list)
    mismatch_count = models.PositiveIntegerField(_("不符处数"), default=0)
    mismatches = models.JSONField(_("不符明细"), default=list)

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = _("账目核对")
        verbose_name_plural = _("账目核对")
        ordering = ["-finished_at", "-id"]

    def __str__(self):
        return f"{timezone.localtime(self.finished_at):%Y-%m-%d %H:%M} · {self.mismatch_count}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RunImmutable("reconciliation runs are never edited; run again")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RunImmutable("reconciliation runs are never deleted")

    def mismatches_for(self, cooperative_ids):
        """The mismatches of these cooperatives (a township office sees its own, the operator all)."""
        if cooperative_ids is None:
            return list(self.mismatches)
        ids = set(cooperative_ids)
        return [m for m in self.mismatches if m.get("cooperative") in ids]
