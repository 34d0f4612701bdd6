"""Group buys (接龙): a leader's chain with a stock cap, a per-person limit, a deadline and a pickup point."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GroupBuy(models.Model):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    STATUSES = [(OPEN, _("进行中")), (CLOSED, _("已截止")), (CANCELLED, _("已取消"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="group_buys",
                                    verbose_name=_("合作社"))
    code = models.CharField(_("接龙码"), max_length=12, unique=True)
    title = models.CharField(_("标题"), max_length=80)
    product = models.ForeignKey("orders.Product", on_delete=models.PROTECT, related_name="group_buys",
                                verbose_name=_("商品"))
    price = models.DecimalField(_("团购价（元/盒）"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])
    stock_cap = models.PositiveIntegerField(_("总量上限（盒）"), validators=[MinValueValidator(1)])
    per_person_limit = models.PositiveIntegerField(_("每人限购（盒）"), default=5, validators=[MinValueValidator(1)])
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    deadline = models.DateTimeField(_("截止时间"))
    pickup_point = models.ForeignKey("orders.PickupPoint", on_delete=models.PROTECT, related_name="group_buys",
                                     verbose_name=_("自提点"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_group_buys",
                               verbose_name=_("团长"))
    leader_name = models.CharField(_("团长称呼"), max_length=30)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=OPEN)
    closed_at = models.DateTimeField(_("截止处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接龙团购")
        verbose_name_plural = _("接龙团购")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["status", "deadline"], name="groupbuy_open_deadline_idx",
                                condition=models.Q(status="open"))]

    def __str__(self):
        return f"{self.title} ({self.code})"

    def is_joinable(self, now=None):
        now = now or timezone.now()
        return self.status == self.OPEN and self.starts_at <= now < self.deadline

    @property
    def lock_key(self):
        return f"groupbuy:{self.pk}"
