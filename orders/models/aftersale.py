"""After-sale requests (申请售后): a buyer's claim on one order line after the eggs arrived, and the
manager's decision — refund (through the payment service's refund), replacement (a new order for the
missing or broken boxes) or refusal with a reason. Decisions only through ``orders.services.aftersale``."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.errors import DomainError
from coop.lib.media import private_storage


class AfterSaleError(DomainError):
    """A refused after-sale request or decision; the message is shown to the person."""

    def __init__(self, message, code="rejected", **kwargs):
        super().__init__(message, code, **kwargs)


class AfterSale(models.Model):
    BAD_EGGS = "bad_eggs"
    BROKEN = "broken"
    MISSING = "missing"
    REASONS = [(BAD_EGGS, _("坏蛋")), (BROKEN, _("运输破损")), (MISSING, _("少发漏发"))]

    EGGS = "eggs"
    BOXES = "boxes"
    UNITS = [(EGGS, _("枚")), (BOXES, _("盒"))]

    REQUESTED = "requested"
    REFUNDED = "refunded"
    REPLACED = "replaced"
    REFUSED = "refused"
    STATUSES = [(REQUESTED, _("待合作社处理")), (REFUNDED, _("同意退款")), (REPLACED, _("同意补发")),
                (REFUSED, _("不予售后"))]
    OPEN = (REQUESTED,)

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="aftersales",
                                    verbose_name=_("合作社"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="aftersales",
                              verbose_name=_("订单"))
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="aftersales",
                             verbose_name=_("订单商品"))
    reason = models.CharField(_("售后原因"), max_length=12, choices=REASONS)
    unit = models.CharField(_("单位"), max_length=6, choices=UNITS, default=EGGS)
    quantity = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    note = models.CharField(_("买家说明"), max_length=300, blank=True)
    # The bad-egg report (quality) this request came from, by its reference: orders never imports quality.
    report_reference = models.CharField(_("坏蛋报告编号"), max_length=12, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=STATUSES, default=REQUESTED)
    amount = models.DecimalField(_("退款金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    refund = models.ForeignKey("orders.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("退款"))
    replacement = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaces", verbose_name=_("补发订单"))
    replacement_boxes = models.PositiveIntegerField(_("补发盒数"), null=True, blank=True)
    decision_note = models.CharField(_("处理说明"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        verbose_name = _("售后申请")
        verbose_name_plural = _("售后申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per order line: the service checks under a lock, the database makes sure.
            models.UniqueConstraint(fields=["line"], condition=Q(status="requested"),
                                    name="aftersale_one_open_per_line"),
        ]
        indexes = [models.Index(fields=["cooperative", "status"])]

    def __str__(self):
        return f"{self.order} · {self.get_reason_display()} {self.quantity}{self.get_unit_display()}"

    @property
    def is_open(self):
        return self.status in self.OPEN


def _photo_path(instance, filename):
    return f"aftersale/{timezone.now():%Y/%m}/{instance.aftersale_id}-{filename}"


class AfterSalePhoto(models.Model):
    """A photo of the request, already re-encoded by ``coop.lib.photos.clean_photo`` (no EXIF, no GPS)."""

    aftersale = models.ForeignKey(AfterSale, on_delete=models.CASCADE, related_name="photos",
                                  verbose_name=_("售后申请"))
    # Private: the buyer's photo of their delivery, for the buyer and the cooperative that decides.
    image = models.ImageField(_("照片"), upload_to=_photo_path, width_field="width", height_field="height",
                              storage=private_storage)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("售后照片")
        verbose_name_plural = _("售后照片")
        ordering = ["id"]

    def __str__(self):
        return self.image.name

    @property
    def private_url(self):
        """Where pages link to it: the view that checks who asks (orders.views.aftersale.aftersale_photo)."""
        return reverse("shop:aftersale-photo", args=[self.pk])
