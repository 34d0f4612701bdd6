"""Batches (lots): boxes packed from accepted eggs, traceable to the deliveries in them."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .intake import WEIGHT_CLASSES, Delivery
from .org import Cooperative

# GB/T 39438-2020 packaged-egg grades.
GRADES = [("AA", "AA"), ("A", "A"), ("B", "B")]
PACKING_WINDOW_DAYS = 10  # pack within 10 days of laying
MAX_SHELF_DAYS = 28  # best-before at most 28 days after laying


class Batch(models.Model):
    PACKED = "packed"
    SOLD_OUT = "sold_out"
    EXPIRED = "expired"
    RECALLED = "recalled"
    STATUSES = [
        (PACKED, _("已包装")),
        (SOLD_OUT, _("已售罄")),
        (EXPIRED, _("已过期")),
        (RECALLED, _("已召回")),
    ]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="batches",
                                    verbose_name=_("合作社"))
    code = models.CharField(_("批次号"), max_length=30, unique=True,
                            help_text=_("生产者代码 + 包装日期 + 序号，例如 HBL-20261128-01。"))
    weight_class = models.CharField(_("重量等级"), max_length=2, choices=WEIGHT_CLASSES)
    grade = models.CharField(_("品级"), max_length=2, choices=GRADES, default="A")
    pack_size = models.PositiveIntegerField(_("每盒枚数"), validators=[MinValueValidator(1)])
    boxes = models.PositiveIntegerField(_("盒数"), validators=[MinValueValidator(1)])
    eggs = models.PositiveIntegerField(_("枚数"))
    packed_at = models.DateTimeField(_("包装时间"), default=timezone.now)
    laid_from = models.DateField(_("最早产蛋日"))
    laid_to = models.DateField(_("最晚产蛋日"))
    best_before = models.DateField(_("保质期至"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=PACKED)
    status_reason = models.CharField(_("状态说明"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    packed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("包装人"))
    deliveries = models.ManyToManyField(Delivery, through="BatchContribution", related_name="batches")

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["-packed_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "status", "best_before"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(eggs=models.F("pack_size") * models.F("boxes")),
                                   name="batch_eggs_is_boxes_times_pack"),
        ]

    def __str__(self):
        return self.code

    def is_past_best_before(self, today=None):
        return (today or timezone.localdate()) > self.best_before


class BatchContribution(models.Model):
    """How many eggs of a delivery went into a batch. Sum over a batch = batch.eggs."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="contributions",
                              verbose_name=_("批次"))
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="contributions",
                                 verbose_name=_("交蛋记录"))
    eggs = models.PositiveIntegerField(_("枚数"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("批次来源")
        verbose_name_plural = _("批次来源")
        constraints = [
            models.UniqueConstraint(fields=["batch", "delivery"], name="contribution_unique"),
        ]

    def __str__(self):
        return f"{self.batch} ← {self.delivery_id}: {self.eggs}"
