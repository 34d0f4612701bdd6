"""Courier fees: each cooperative's rule table, by the buyer's province (codes of orders/services/regions.py)."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CourierFees(models.Model):
    """A cooperative's courier fees: the default, an amount per province, free from N boxes.
    A cooperative without a table charges no courier fee (as before there were rules)."""

    cooperative = models.OneToOneField("coop.Cooperative", on_delete=models.CASCADE, related_name="courier_fees",
                                       verbose_name=_("合作社"))
    default_fee = models.DecimalField(_("默认运费（元）"), max_digits=8, decimal_places=2, default=Decimal("0.00"),
                                      validators=[MinValueValidator(Decimal("0.00"))],
                                      help_text=_("下面没有列出的省份按这个运费。"))
    free_from_boxes = models.PositiveIntegerField(_("满多少盒包邮"), null=True, blank=True,
                                                  validators=[MinValueValidator(1)],
                                                  help_text=_("一单买到这么多盒就不收运费；空着表示不包邮。"))

    class Meta:
        verbose_name = _("运费规则")
        verbose_name_plural = _("运费规则")

    def __str__(self):
        return str(self.cooperative)


class CourierFeeRegion(models.Model):
    fees = models.ForeignKey(CourierFees, on_delete=models.CASCADE, related_name="regions",
                             verbose_name=_("运费规则"))
    province_code = models.CharField(_("省份"), max_length=2)
    fee = models.DecimalField(_("运费（元）"), max_digits=8, decimal_places=2,
                              validators=[MinValueValidator(Decimal("0.00"))])

    class Meta:
        verbose_name = _("省份运费")
        verbose_name_plural = _("省份运费")
        ordering = ["province_code"]
        constraints = [models.UniqueConstraint(fields=["fees", "province_code"], name="courier_fee_one_per_province")]

    def __str__(self):
        return f"{self.province_code} ¥{self.fee}"
