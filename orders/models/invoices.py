"""发票 requests: a buyer asks the cooperative for a 发票 on a paid order, with the buyer's invoice details
(个人 or 单位, 名称, 纳税人识别号, the e-mail the e-invoice goes to), and the manager marks it 已开票 with the
invoice's number (and optionally its PDF) or sends it back with a reason. One request per order: the
service checks under the order's lock, the one-to-one column makes sure. Steps only through
``orders.services.invoices``."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.errors import DomainError
from coop.lib.media import private_storage


class InvoiceError(DomainError):
    """A refused 发票 request or step; the message is shown to the person."""

    def __init__(self, message, code="rejected", **kwargs):
        super().__init__(message, code, **kwargs)


# Who the 发票 is made out to: also the buyer's saved choice (``Buyer.invoice_kind``).
PERSONAL = "personal"
COMPANY = "company"
KINDS = [(PERSONAL, _("个人")), (COMPANY, _("单位"))]


def _pdf_path(instance, filename):
    return f"invoices/{timezone.now():%Y/%m}/{instance.order_id}-{filename}"


class InvoiceRequest(models.Model):
    REQUESTED = "requested"
    ISSUED = "issued"
    RETURNED = "returned"
    STATUSES = [(REQUESTED, _("待开票")), (ISSUED, _("已开票")), (RETURNED, _("已退回"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="invoice_requests",
                                    verbose_name=_("合作社"))
    # One request per order, in the database: a double submit or two tabs can never make two.
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="invoice_request",
                                 verbose_name=_("订单"))
    kind = models.CharField(_("抬头类型"), max_length=10, choices=KINDS)
    title = models.CharField(_("发票抬头"), max_length=100)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    email = models.EmailField(_("接收电子发票的邮箱"), max_length=100, blank=True)
    # What the 发票 is for when asked, and again when issued (a refund may come in between): paid less
    # refunds, by ``orders.services.programmes.counted_amounts`` — the one rule every report uses.
    amount = models.DecimalField(_("开票金额（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=REQUESTED)
    # How many times the buyer has sent it (a returned request is corrected and sent again, same row).
    submissions = models.PositiveIntegerField(_("提交次数"), default=1)
    invoice_number = models.CharField(_("发票号码"), max_length=30, blank=True)
    # Private: it carries the buyer's name and tax number; answered only by the checked views.
    pdf = models.FileField(_("发票文件（PDF）"), upload_to=_pdf_path, storage=private_storage, blank=True)
    return_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("处理人"))
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("开票申请")
        verbose_name_plural = _("开票申请")
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["cooperative", "status"])]
        constraints = [
            # An invoice number is registered on one order of a cooperative (checked first, under a lock).
            models.UniqueConstraint(fields=["cooperative", "invoice_number"], condition=~models.Q(invoice_number=""),
                                    name="invoice_number_once_per_cooperative"),
        ]

    def __str__(self):
        return f"{self.order} · {self.title}"

    @property
    def pdf_url(self):
        """Where pages link to the PDF: the views that check who asks (never the storage's own URL)."""
        return reverse("shop:order-invoice-pdf", args=[self.order.number]) if self.pdf else ""
