"""Who did what, when and why: one append-only trail for every state change."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.words import action_label, object_label


class AuditEventQuerySet(models.QuerySet):
    """Bulk writes are refused too: ``save``/``delete`` guards alone leave ``filter().update()`` open.

    Django's deletion collector uses the plain base manager, so deleting a user still sets
    ``actor`` to NULL on their events (``actor_label`` keeps the name).
    """

    def update(self, **kwargs):
        raise ValueError("audit events are never edited")

    def delete(self):
        raise ValueError("audit events are never deleted")


class AuditEvent(models.Model):
    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("合作社"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True,
                                   help_text=_("系统任务、农户、买家等非后台用户的名称。"))
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_id = models.CharField(_("对象编号"), max_length=40)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return (f"{self.created_at:%Y-%m-%d %H:%M} {action_label(self.action, self.object_type)} "
                f"{object_label(self.object_type)} {self.object_id}")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are never deleted")
