"""How a household signs in (mobile number + 6-digit PIN) and what the notification channels did.

The PIN is set by the manager and printed on the member card; only its hash is kept. Five wrong
PINs lock the household out for 15 minutes (``coop/services/farmers.py`` holds the rules).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["FarmerLogin", "GatewayMessage", "NotificationAttempt"]


class FarmerLogin(models.Model):
    farmer = models.OneToOneField("coop.Farmer", on_delete=models.CASCADE, related_name="login",
                                  verbose_name=_("农户"))
    pin_hash = models.CharField(_("PIN 哈希"), max_length=200)
    failed_attempts = models.PositiveIntegerField(_("连续输错次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    pin_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("PIN 设定人"))
    pin_set_at = models.DateTimeField(_("PIN 设定时间"), default=timezone.now)
    last_sign_in_at = models.DateTimeField(_("上次登录"), null=True, blank=True)

    class Meta:
        verbose_name = _("农户登录")
        verbose_name_plural = _("农户登录")

    def __str__(self):
        return str(self.farmer)

    def is_locked(self, now=None):
        return self.locked_until is not None and (now or timezone.now()) < self.locked_until


class NotificationAttempt(models.Model):
    """One call to a channel for one notification: the manager's log of what was sent to whom."""

    notification = models.ForeignKey("coop.Notification", on_delete=models.CASCADE, related_name="attempts_log",
                                      verbose_name=_("通知"))
    channel = models.CharField(_("渠道"), max_length=20)
    ok = models.BooleanField(_("成功"), default=False)
    provider_ref = models.CharField(_("服务商消息编号"), max_length=64, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["notification_id", "id"]


class GatewayMessage(models.Model):
    """What a *local fake* gateway (SMS or WeChat template message) accepted, for development and tests.

    A real gateway keeps this on its side; here the row stands in for the carrier. ``client_ref``
    is our idempotency key: the fake answers a repeated request with the first message's id, as
    gateways with client references do, so a retried send never reaches the phone twice.
    """

    gateway = models.CharField(_("网关"), max_length=20)
    client_ref = models.CharField(_("客户端编号"), max_length=120)
    recipient = models.CharField(_("接收人"), max_length=64)
    payload = models.JSONField(_("报文"), default=dict)
    message_id = models.CharField(_("消息编号"), max_length=64)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("本地网关消息（模拟）")
        verbose_name_plural = _("本地网关消息（模拟）")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "client_ref"], name="gateway_unique_client_ref")]
