"""The money between the collective and each household: an append-only ledger and settlements."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.money import MoneySum
from coop.lib.words import yuan

from .org import Cooperative, Farmer


class LedgerImmutable(Exception):
    """Raised when code tries to edit or delete a ledger entry. Corrections are new entries."""


class LedgerEntryQuerySet(models.QuerySet):
    def delete(self):
        raise LedgerImmutable("ledger entries are never deleted; post a correcting entry")

    def balance(self):
        return self.aggregate(total=MoneySum("amount"))["total"] or Decimal("0.00")


class LedgerEntry(models.Model):
    """One line of a household's money. Positive = the collective owes the household more.

    Append-only: the only change ever made to a row is attaching it to the settlement that paid
    it (``settlement`` goes from empty to set, once). ``dedupe_key`` makes each business fact post
    at most once ("delivery:17", "penalty:4:apply"), whatever retries or double clicks happen.
    """

    DELIVERY = "delivery"
    FINE = "fine"
    REWARD = "reward"
    PAYOUT = "payout"
    ADJUSTMENT = "adjustment"
    KINDS = [
        (DELIVERY, _("交蛋收入")),
        (FINE, _("罚款")),
        (REWARD, _("奖励")),
        (PAYOUT, _("付款")),
        (ADJUSTMENT, _("调整")),
    ]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="ledger_entries",
                                    verbose_name=_("合作社"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="ledger_entries",
                               verbose_name=_("农户"))
    kind = models.CharField(_("类别"), max_length=12, choices=KINDS)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    occurred_on = models.DateField(_("发生日期"), default=timezone.localdate)
    reason = models.CharField(_("事由"), max_length=300)
    source_type = models.CharField(_("来源类型"), max_length=40, blank=True)
    source_id = models.PositiveBigIntegerField(_("来源编号"), null=True, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=80, null=True, blank=True, unique=True)
    settlement = models.ForeignKey("Settlement", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="lines", verbose_name=_("结算单"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("记账人"))
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账")
        ordering = ["farmer_id", "occurred_on", "id"]
        indexes = [
            models.Index(fields=["farmer", "occurred_on"]),
            # The settlement query reads unsettled lines of a period; keep that index small.
            models.Index(fields=["cooperative", "occurred_on"], condition=models.Q(settlement__isnull=True),
                         name="ledger_unsettled_idx"),
            # "What did this delivery (this penalty, this award) post?": the programme report traces money from
            # orders to households through it, and the reconciliation re-reads it. Without it each report scanned
            # the whole ledger (3M lines at province size, bench/province.py).
            models.Index(fields=["source_type", "source_id"], name="ledger_source_idx"),
        ]

    def __str__(self):
        return f"{self.farmer} {self.get_kind_display()} {yuan(self.amount)}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_attach_settlement", False):
            raise LedgerImmutable("ledger entries are never edited; post a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("ledger entries are never deleted; post a correcting entry")


class Settlement(models.Model):
    """What the collective pays one household for one period (a payslip)."""

    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"
    STATUSES = [(DRAFT, _("草稿")), (APPROVED, _("已审批")), (PAID, _("已付款"))]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="settlements",
                                    verbose_name=_("合作社"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="settlements",
                               verbose_name=_("农户"))
    period_start = models.DateField(_("结算期起"))
    period_end = models.DateField(_("结算期止"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=DRAFT)
    gross = models.DecimalField(_("交蛋收入"), max_digits=12, decimal_places=2, default=Decimal("0"))
    fines = models.DecimalField(_("罚款"), max_digits=12, decimal_places=2, default=Decimal("0"))
    rewards = models.DecimalField(_("奖励"), max_digits=12, decimal_places=2, default=Decimal("0"))
    adjustments = models.DecimalField(_("调整"), max_digits=12, decimal_places=2, default=Decimal("0"))
    net = models.DecimalField(_("实付"), max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("付款人"))
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    payment_reference = models.CharField(_("付款凭证号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-period_end", "farmer_id"]
        constraints = [
            models.UniqueConstraint(fields=["farmer", "period_start", "period_end"],
                                    name="settlement_unique_period"),
        ]

    def __str__(self):
        return f"{self.farmer} {self.period_start}–{self.period_end}"

    # One definition of what a payslip pays, read by the pages, the PDF, the Excel list, the API, the
    # dashboard and the household's messages. ``net`` is what the period's lines add up to; when fines
    # exceed earnings it is negative: nothing is paid ("实付 ¥0.00") and the household owes the rest,
    # which is taken from its next payslip (``pay_settlement`` carries it over as a pair of adjustments).
    @property
    def paid_out(self):
        """What the household receives for this payslip (实付): never negative."""
        return max(self.net, Decimal("0.00"))

    @property
    def carried_over(self):
        """What the household still owes after this period (本期应扣), taken from the next payslip."""
        return max(-self.net, Decimal("0.00"))

    @property
    def money_moved(self):
        """True when paying this payslip transfers money (a carried-over balance transfers none)."""
        return self.net > 0

    @property
    def status_text(self):
        """The status in words that stay true when nothing was paid ("已付款" would not be)."""
        if self.status == self.PAID and not self.money_moved:
            return _("已结清，欠款从下次工资里扣") if self.carried_over else _("已结清（无需付款）")
        return self.get_status_display()

    # The same definition as database sums, for totals over many payslips (settlements page, dashboard).
    @staticmethod
    def paid_out_sum():
        return MoneySum("net", filter=models.Q(net__gt=0), default=Decimal("0.00"))

    @staticmethod
    def carried_over_sum():
        return MoneySum(-models.F("net"), filter=models.Q(net__lt=0), default=Decimal("0.00"))
