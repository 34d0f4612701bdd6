"""Messages to people (households, buyers): one row per event, sent at most once."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.words import event_label


class Notification(models.Model):
    QUEUED = "queued"
    SENT = "sent"
    SENDING = "sending"
    FAILED = "failed"
    STATUSES = [(QUEUED, _("待发送")), (SENDING, _("发送中")), (SENT, _("已发送")), (FAILED, _("发送失败"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="notifications", verbose_name=_("合作社"))
    farmer = models.ForeignKey("coop.Farmer", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="notifications", verbose_name=_("农户"))
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # The recipient's openid at the official account when the caller knows it (a buyer signed in by WeChat);
    # a household's is read from its Farmer row when the message is sent.
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, blank=True, default="")
    event = models.CharField(_("事件"), max_length=40)
    # One business event → one message, however often the sending task is retried.
    dedupe_key = models.CharField(_("去重键"), max_length=120, unique=True)
    channel = models.CharField(_("渠道"), max_length=20)
    body = models.TextField(_("内容"))
    # The body's facts by name, for SMS providers that send only registered templates (coop/services/sms.py):
    # the carrier fills the approved template's variables with these, never our free text.
    sms_params = models.JSONField(_("短信模板参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=QUEUED)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{event_label(self.event)} → {self.phone or self.farmer_id}"
