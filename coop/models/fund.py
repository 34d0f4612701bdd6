"""The collective fund: donations received, the part reserved for hygiene rewards, inspections.

The fund's balance is never stored: it is the sum of its append-only movements per pool, recomputed
under a lock before every withdrawal (coop/services/fund.py), so it can never go below zero.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.words import yuan

from .org import Cooperative, Farmer, Village


class Donation(models.Model):
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="donations",
                                    verbose_name=_("合作社"))
    donor = models.CharField(_("捐赠方"), max_length=100)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    hygiene_reserve = models.DecimalField(_("其中留作卫生奖励（元）"), max_digits=12, decimal_places=2,
                                          default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    received_on = models.DateField(_("到账日期"), default=timezone.localdate)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("捐赠")
        verbose_name_plural = _("捐赠")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hygiene_reserve__lte=models.F("amount")),
                                   name="donation_reserve_within_amount"),
        ]

    def __str__(self):
        return f"{self.donor} {yuan(self.amount)}"


class FundEntry(models.Model):
    """One movement of the collective fund. Append-only, like the household ledger."""

    GENERAL = "general"
    HYGIENE = "hygiene"
    POOLS = [(GENERAL, _("集体基金")), (HYGIENE, _("卫生奖励预留"))]

    DONATION = "donation"
    RESERVE = "reserve"
    AWARD = "award"
    SPEND = "spend"
    KINDS = [(DONATION, _("捐赠收入")), (RESERVE, _("转入/转出预留")), (AWARD, _("卫生奖励发放")),
             (SPEND, _("其他支出"))]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="fund_entries",
                                    verbose_name=_("合作社"))
    pool = models.CharField(_("资金池"), max_length=10, choices=POOLS)
    kind = models.CharField(_("类别"), max_length=10, choices=KINDS)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("事由"), max_length=300)
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="fund_entries", verbose_name=_("捐赠"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("农户"))
    dedupe_key = models.CharField(_("去重键"), max_length=80, null=True, blank=True, unique=True)
    occurred_on = models.DateField(_("发生日期"), default=timezone.localdate)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("记账人"))
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now)

    class Meta:
        verbose_name = _("集体基金流水")
        verbose_name_plural = _("集体基金流水")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["cooperative", "pool"])]

    def __str__(self):
        return f"{self.get_pool_display()} {self.get_kind_display()} {yuan(self.amount)}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("fund entries are never edited; post a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("fund entries are never deleted")


class HygieneInspection(models.Model):
    """A hygiene inspection (卫生评比) of one village's households on a day."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="hygiene_inspections",
                                    verbose_name=_("合作社"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="hygiene_inspections",
                                verbose_name=_("村"))
    inspected_on = models.DateField(_("评比日期"), default=timezone.localdate)
    inspectors = models.CharField(_("评比人"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("卫生评比")
        verbose_name_plural = _("卫生评比")
        ordering = ["-inspected_on", "-id"]

    def __str__(self):
        return f"{self.village} {self.inspected_on}"


class HygieneScore(models.Model):
    inspection = models.ForeignKey(HygieneInspection, on_delete=models.CASCADE, related_name="scores",
                                   verbose_name=_("卫生评比"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="hygiene_scores",
                               verbose_name=_("农户"))
    score = models.PositiveSmallIntegerField(_("得分"), validators=[MaxValueValidator(100)])
    award = models.DecimalField(_("奖励金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    awarded_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("卫生评比得分")
        verbose_name_plural = _("卫生评比得分")
        ordering = ["inspection_id", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "farmer"], name="hygiene_score_unique"),
        ]

    def __str__(self):
        return f"{self.farmer} {self.score}"
