"""Payments and refunds, in fen at the boundary, behind one provider interface.

``SandboxTransaction`` is the *other side*: the local WeChat-Pay-shaped sandbox keeps its own
record of a transaction, exactly as WeChat would, so the shop must learn about a payment the way
it would in production — by a signed notification or by querying.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    SANDBOX = "sandbox"
    OFFLINE = "offline"
    WECHAT = "wechat"
    PROVIDERS = [(SANDBOX, _("微信支付（本地沙箱）")), (OFFLINE, _("线下转账/现金")), (WECHAT, _("微信支付"))]

    CREATED = "created"
    SUCCEEDED = "succeeded"
    CLOSED = "closed"
    STATUSES = [(CREATED, _("待支付")), (SUCCEEDED, _("支付成功")), (CLOSED, _("已关闭"))]

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("订单"))
    provider = models.CharField(_("支付方式"), max_length=10, choices=PROVIDERS)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, unique=True)
    amount_fen = models.PositiveIntegerField(_("金额（分）"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=CREATED)
    transaction_id = models.CharField(_("支付平台交易号"), max_length=64, blank=True)
    reference = models.CharField(_("凭证号/备注"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("成功时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付")
        verbose_name_plural = _("支付")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.out_trade_no

    @property
    def amount_yuan(self):
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))


class Refund(models.Model):
    PROCESSING = "processing"
    # Money of an offline payment goes back by hand: the refund waits until a manager confirms it went out.
    AWAITING_OFFLINE = "offline"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUSES = [(PROCESSING, _("退款处理中")), (AWAITING_OFFLINE, _("待线下退款")), (SUCCEEDED, _("退款成功")),
                (FAILED, _("退款失败"))]

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("支付"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds",
                              verbose_name=_("订单"))
    out_refund_no = models.CharField(_("商户退款单号"), max_length=64, unique=True)
    amount_fen = models.PositiveIntegerField(_("退款金额（分）"))
    reason = models.CharField(_("退款原因"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=STATUSES, default=PROCESSING)
    refund_id = models.CharField(_("支付平台退款号"), max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    succeeded_at = models.DateTimeField(_("到账时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("确认人"))
    confirmation = models.CharField(_("退款凭证/说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("退款")
        verbose_name_plural = _("退款")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.out_refund_no

    @property
    def amount_yuan(self):
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))


class PaymentNotification(models.Model):
    """Every notification that reached the endpoint, accepted or not: the evidence for a dispute."""

    notification_id = models.CharField(_("通知编号"), max_length=64, blank=True, db_index=True)
    event_type = models.CharField(_("事件类型"), max_length=40, blank=True)
    out_trade_no = models.CharField(_("商户订单号"), max_length=32, blank=True, db_index=True)
    accepted = models.BooleanField(_("已接受"), default=False)
    outcome = models.CharField(_("处理结果"), max_length=200)
    headers = models.JSONField(_("请求头"), default=dict)
    body = models.TextField(_("原文"))
    received_at = models.DateTimeField(_("收到时间"), default=timezone.now)

    class Meta:
        verbose_name = _("支付通知")
        verbose_name_plural = _("支付通知")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.event_type} {self.out_trade_no} {self.outcome}"


class SandboxTransaction(models.Model):
    """The local sandbox's own books (it plays WeChat Pay): never read by the shop directly."""

    NOTPAY = "NOTPAY"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    REFUND = "REFUND"
    STATES = [(NOTPAY, "NOTPAY"), (SUCCESS, "SUCCESS"), (CLOSED, "CLOSED"), (REFUND, "REFUND")]

    out_trade_no = models.CharField(max_length=32, unique=True)
    transaction_id = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=127)
    amount_total = models.PositiveIntegerField()
    notify_url = models.CharField(max_length=255)
    trade_state = models.CharField(max_length=10, choices=STATES, default=NOTPAY)
    payer_openid = models.CharField(max_length=64, blank=True)
    success_time = models.DateTimeField(null=True, blank=True)
    refunded_fen = models.PositiveIntegerField(default=0)
    notify_attempts = models.PositiveIntegerField(default=0)
    notified_ok_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("沙箱交易")
        verbose_name_plural = _("沙箱交易")

    def __str__(self):
        return self.out_trade_no


class TradeBillCheck(models.Model):
    """One day's WeChat Pay trade bill (交易账单) compared with our payments and refunds
    (``orders.services.payments.bills``). ``differences`` lists each mismatch for the manager."""

    CLEAN = "clean"
    DIFFERENCES = "differences"
    FAILED = "failed"
    STATUSES = [(CLEAN, _("一致")), (DIFFERENCES, _("有差异")), (FAILED, _("未能对账"))]

    bill_date = models.DateField(_("账单日期"), unique=True)
    status = models.CharField(_("结果"), max_length=12, choices=STATUSES)
    bill_rows = models.PositiveIntegerField(_("账单笔数"), default=0)
    paid_fen = models.BigIntegerField(_("账单收款（分）"), default=0)
    refunded_fen = models.BigIntegerField(_("账单退款（分）"), default=0)
    differences = models.JSONField(_("差异"), default=list, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    checked_at = models.DateTimeField(_("对账时间"), default=timezone.now)

    class Meta:
        verbose_name = _("微信支付对账")
        verbose_name_plural = _("微信支付对账")
        ordering = ["-bill_date"]

    def __str__(self):
        return f"{self.bill_date} {self.get_status_display()}"
