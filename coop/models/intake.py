"""What farmers bring: prices in force by date, and deliveries with their intake grading."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .org import Cooperative, Farmer

# EU weight classes, as the collection point sorts them.
WEIGHT_CLASSES = [
    ("XL", _("特大（≥73克）")),
    ("L", _("大（63–73克）")),
    ("M", _("中（53–63克）")),
    ("S", _("小（<53克）")),
]
WEIGHT_CLASS_CODES = [code for code, _label in WEIGHT_CLASSES]

# Reasons an egg is refused at candling. Rejected eggs are never paid.
REJECT_DEFECTS = [
    ("cracked", _("裂纹蛋")),
    ("dirty", _("泥污蛋")),
    ("blood", _("血斑蛋")),
    ("rotten", _("臭蛋/坏蛋")),
    ("undersized", _("过小")),
    ("other", _("其他")),
]
REJECT_CODES = [code for code, _label in REJECT_DEFECTS]


class PriceSchedule(models.Model):
    """Price per accepted egg of a weight class, in force from a date until the next row."""

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="prices",
                                    verbose_name=_("合作社"))
    weight_class = models.CharField(_("重量等级"), max_length=2, choices=WEIGHT_CLASSES)
    price_per_egg = models.DecimalField(_("每枚收购价（元）"), max_digits=8, decimal_places=2,
                                        validators=[MinValueValidator(Decimal("0.00"))])
    effective_from = models.DateField(_("生效日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   verbose_name=_("设定人"))
    created_at = models.DateTimeField(_("设定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("收购价")
        verbose_name_plural = _("收购价")
        ordering = ["cooperative_id", "weight_class", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "weight_class", "effective_from"],
                                    name="price_unique_per_day"),
        ]

    def __str__(self):
        return f"{self.weight_class} ¥{self.price_per_egg} ({self.effective_from})"


# The two states as field lookups, so a page can also *link* to exactly these rows (an admin list's query string
# is the same lookups: quality.services.dashboard.admin_list), and a count and its list can never disagree.
COUNTED = {"flagged": False, "cancelled_at__isnull": True}
HELD = {"flagged": True, "cancelled_at__isnull": True}


class DeliveryQuerySet(models.QuerySet):
    def counted(self):
        """Deliveries whose eggs are in stock and whose money is owed: not held for review, not cancelled.

        Stock, packing, the dashboard and the households' figures read deliveries through this, so a
        delivery flagged as implausible counts nowhere until a manager confirms or corrects it."""
        return self.filter(**COUNTED)

    def held(self):
        return self.filter(**HELD)


class Delivery(models.Model):
    """Eggs a household brought on a day, and what candling made of them.

    ``accepted_*`` + ``rejected_*`` always equals ``eggs_brought`` (checked by the service and by a
    database constraint). The prices of the day are copied onto the delivery so that a later price
    change never alters what the household is owed.
    """

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="deliveries",
                                    verbose_name=_("合作社"))
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="deliveries",
                               verbose_name=_("农户"))
    received_at = models.DateTimeField(_("收蛋时间"), default=timezone.now)
    laid_from = models.DateField(_("产蛋起始日"))
    laid_to = models.DateField(_("产蛋截止日"))
    eggs_brought = models.PositiveIntegerField(_("交来枚数"))

    accepted_xl = models.PositiveIntegerField(_("合格·特大"), default=0)
    accepted_l = models.PositiveIntegerField(_("合格·大"), default=0)
    accepted_m = models.PositiveIntegerField(_("合格·中"), default=0)
    accepted_s = models.PositiveIntegerField(_("合格·小"), default=0)
    rejected_cracked = models.PositiveIntegerField(_("裂纹蛋"), default=0)
    rejected_dirty = models.PositiveIntegerField(_("泥污蛋"), default=0)
    rejected_blood = models.PositiveIntegerField(_("血斑蛋"), default=0)
    rejected_rotten = models.PositiveIntegerField(_("臭蛋/坏蛋"), default=0)
    rejected_undersized = models.PositiveIntegerField(_("过小"), default=0)
    rejected_other = models.PositiveIntegerField(_("其他不合格"), default=0)

    # Prices of the day, frozen (yuan per egg).
    price_xl = models.DecimalField(_("特大单价"), max_digits=8, decimal_places=2, default=Decimal("0"))
    price_l = models.DecimalField(_("大单价"), max_digits=8, decimal_places=2, default=Decimal("0"))
    price_m = models.DecimalField(_("中单价"), max_digits=8, decimal_places=2, default=Decimal("0"))
    price_s = models.DecimalField(_("小单价"), max_digits=8, decimal_places=2, default=Decimal("0"))
    amount_due = models.DecimalField(_("应付金额（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))

    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("验收员"))
    flagged = models.BooleanField(_("待核查"), default=False)
    flag_reason = models.CharField(_("核查原因"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # Offline intake sends each delivery with a key made on the phone; a resend finds this row.
    idempotency_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    # Cancel-and-amend (as a Purchase Receipt in ERPNext): a correction of the counts cancels this
    # row and records a new one pointing back here. A cancelled row stays for the record, out of
    # stock and with its ledger credit reversed; the row itself is never edited otherwise.
    cancelled_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    amended_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="amendment", verbose_name=_("更正自"))

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("交蛋记录")
        verbose_name_plural = _("交蛋记录")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["cooperative", "received_at"]),
            models.Index(fields=["farmer", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    eggs_brought=models.F("accepted_xl") + models.F("accepted_l") + models.F("accepted_m")
                    + models.F("accepted_s") + models.F("rejected_cracked") + models.F("rejected_dirty")
                    + models.F("rejected_blood") + models.F("rejected_rotten")
                    + models.F("rejected_undersized") + models.F("rejected_other")
                ),
                name="delivery_counts_add_up",
            ),
            models.CheckConstraint(condition=models.Q(laid_from__lte=models.F("laid_to")),
                                   name="delivery_laid_range"),
        ]

    def __str__(self):
        return f"{self.farmer} · {timezone.localtime(self.received_at):%Y-%m-%d} · {self.eggs_brought}"

    @property
    def held(self):
        """Flagged and not yet confirmed: out of stock and unpaid until a manager looks at it."""
        return self.flagged and self.cancelled_at is None

    @property
    def accepted(self):
        return self.accepted_xl + self.accepted_l + self.accepted_m + self.accepted_s

    @property
    def rejected(self):
        return sum(getattr(self, f"rejected_{code}") for code in REJECT_CODES)

    def accepted_of(self, weight_class):
        return getattr(self, f"accepted_{weight_class.lower()}")

    def price_of(self, weight_class):
        return getattr(self, f"price_{weight_class.lower()}")

    def rejects_by_defect(self):
        return {code: getattr(self, f"rejected_{code}") for code in REJECT_CODES}
