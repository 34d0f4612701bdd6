"""East–West pairing (东西部协作): programmes, the organisations buying under them, pledges,
attribution of orders (以购代捐), statements/certificates, coordinators and income monitoring.

Nothing here stores a running total. Every figure (a pledge's progress, a programme's income, the
money that reached households) is computed from orders, payments, refunds, batch allocations and
the households' ledger, so it can always be traced back and can never drift.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.media import private_storage
from coop.lib.validators import is_ascii_digits

from .orders import OrderError

__all__ = [
    "AcceptanceRating", "BuyerAffiliation", "BuyerOrganisation", "InstitutionalTerms", "MonitoringPolicy",
    "Pledge", "Programme", "ProgrammeAttribution", "ProgrammeCoordinator", "ProgrammeError", "Statement",
]

# Codes read from paper and typed by people: no 0/O/1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length):
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(length))


def new_programme_code():
    # At least one letter: an all-digit /shop/p/<n>/ is the shop's product page.
    while True:
        code = new_code(6)
        if not is_ascii_digits(code):
            return code


def new_statement_code():
    # 16 characters of a 31-letter alphabet ≈ 79 bits: not guessable, short enough for a QR.
    return new_code(16)


class ProgrammeError(OrderError):
    """A refused pairing operation; the message is shown to the person. ``ProgrammeError(message, code)``.

    The same thing as ``OrderError`` (pairing is part of the shop), so it derives from it: ``except
    ProgrammeError`` still catches only pairing refusals, ``except OrderError`` catches both."""


class StatementNotFound(ProgrammeError):
    """No statement has this verification code: a page answers with the site's own 404 page and this
    message (also under DEBUG — the public /v/ page never shows Django's technical 404)."""

    def __init__(self, message, code="not_found", **kwargs):
        kwargs.setdefault("status", 404)
        super().__init__(message, code, **kwargs)


class Programme(models.Model):
    """A pairing (结对帮扶): an east-side organisation paired with west-side villages for a period."""

    DRAFT = "draft"
    ACTIVE = "active"
    ENDED = "ended"
    STATUSES = [(DRAFT, _("筹备中")), (ACTIVE, _("进行中")), (ENDED, _("已结束"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="programmes",
                                    verbose_name=_("合作社"))
    code = models.CharField(_("推广码"), max_length=12, unique=True, default=new_programme_code,
                            validators=[RegexValidator(r"^(?=.*[A-Z])[A-Z0-9]{4,12}$",
                                                       _("4–12 位大写字母或数字，至少含一个字母。"))],
                            help_text=_("购买链接 /shop/p/推广码，印在海报二维码上。"))
    name = models.CharField(_("项目名称"), max_length=100)
    east_organisation = models.CharField(_("东部结对单位"), max_length=100)
    east_city = models.CharField(_("东部城市"), max_length=50)
    east_province = models.CharField(_("东部省份"), max_length=50)
    framework = models.CharField(_("协作框架"), max_length=100, blank=True,
                                 help_text=_("例如：佛山—凉山东西部扶贫协作（2016–2020）。"))
    villages = models.ManyToManyField("coop.Village", related_name="programmes", verbose_name=_("西部结对村"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    # Private: a signed agreement, for the people who may read the programme's report (programme_agreement).
    agreement = models.FileField(_("协议文件"), upload_to="programmes/agreements/", blank=True,
                                 storage=private_storage)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=ACTIVE)
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("结对帮扶项目")
        verbose_name_plural = _("结对帮扶项目")
        ordering = ["-starts_on", "id"]

    def __str__(self):
        return self.name

    def is_open_on(self, day):
        return (self.status == self.ACTIVE and self.starts_on <= day
                and (self.ends_on is None or day <= self.ends_on))


class BuyerOrganisation(models.Model):
    """An enterprise, public institution, social organisation or caring individual buying under
    one or more programmes. Its members are shop buyers (``BuyerAffiliation``)."""

    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"
    SOCIAL = "social"
    CARING = "caring"
    KINDS = [
        (ENTERPRISE, _("企业")),
        (INSTITUTION, _("机关事业单位（预算单位）")),
        (SOCIAL, _("社会组织")),
        (CARING, _("爱心人士")),
    ]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="buyer_organisations",
                                    verbose_name=_("合作社"))
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=KINDS)
    contact_name = models.CharField(_("联系人"), max_length=30, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    invoice_title = models.CharField(_("发票抬头"), max_length=100, blank=True)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    programmes = models.ManyToManyField(Programme, related_name="organisations", blank=True,
                                        verbose_name=_("参与的项目"))
    default_programme = models.ForeignKey(Programme, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("默认项目"),
                                          help_text=_("成员下单时自动计入这个项目（以购代捐）。"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("帮扶采购单位")
        verbose_name_plural = _("帮扶采购单位")
        ordering = ["cooperative_id", "name"]
        constraints = [models.UniqueConstraint(fields=["cooperative", "name"], name="buyer_org_unique_name")]

    def __str__(self):
        return self.name


class BuyerAffiliation(models.Model):
    """Which organisation a shop buyer orders for (kept here so the shop's Buyer stays the shop's)."""

    buyer = models.OneToOneField("orders.Buyer", on_delete=models.CASCADE, related_name="affiliation",
                                 verbose_name=_("买家"))
    organisation = models.ForeignKey(BuyerOrganisation, on_delete=models.CASCADE, related_name="members",
                                     verbose_name=_("所属单位"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")

    def __str__(self):
        return f"{self.buyer} · {self.organisation}"


class Pledge(models.Model):
    """预留份额: an organisation's promise to buy a sum under a programme within a period."""

    organisation = models.ForeignKey(BuyerOrganisation, on_delete=models.PROTECT, related_name="pledges",
                                     verbose_name=_("单位"))
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="pledges",
                                  verbose_name=_("项目"))
    amount = models.DecimalField(_("认购金额（元）"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("截止日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预留份额")
        verbose_name_plural = _("预留份额")
        ordering = ["period_end", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")),
                                              name="pledge_period_order")]

    def __str__(self):
        return f"{self.organisation} ¥{self.amount} ({self.period_start}–{self.period_end})"


class ProgrammeAttribution(models.Model):
    """Marks an order as 以购代捐 for a programme. Whether it *counts* is never stored: it counts
    while the order is paid and not refunded (see ``orders.services.programmes``)."""

    LINK = "link"
    DEFAULT = "default"
    MANAGER = "manager"
    SOURCES = [(LINK, _("项目链接/海报")), (DEFAULT, _("单位默认项目")), (MANAGER, _("管理员登记"))]

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="attribution",
                                 verbose_name=_("订单"))
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="attributions",
                                  verbose_name=_("项目"))
    organisation = models.ForeignKey(BuyerOrganisation, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="attributions", verbose_name=_("单位"))
    source = models.CharField(_("来源"), max_length=10, choices=SOURCES)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("以购代捐订单")
        verbose_name_plural = _("以购代捐订单")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.order} → {self.programme}"


class InstitutionalTerms(models.Model):
    """What an institution's order adds: a purchase order number and a delivery schedule."""

    ONCE = "once"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    SCHEDULES = [(ONCE, _("一次送达")), (WEEKLY, _("每周配送")), (FORTNIGHTLY, _("每两周配送")),
                 (MONTHLY, _("每月配送"))]

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="institutional_terms",
                                 verbose_name=_("订单"))
    purchase_order_ref = models.CharField(_("采购单号"), max_length=40, blank=True)
    schedule = models.CharField(_("配送安排"), max_length=12, choices=SCHEDULES, default=ONCE)
    deliver_to = models.CharField(_("送达地点"), max_length=100, blank=True, help_text=_("例如：机关食堂"))

    class Meta:
        verbose_name = _("单位采购信息")
        verbose_name_plural = _("单位采购信息")

    def __str__(self):
        return self.purchase_order_ref or str(self.order)


class AcceptanceRating(models.Model):
    """履约验收评价: the buyer's stars and comment after delivery."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="acceptance",
                                 verbose_name=_("订单"))
    stars = models.PositiveSmallIntegerField(_("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("评价"), max_length=300, blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("评价人"))
    rated_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("履约验收评价")
        verbose_name_plural = _("履约验收评价")
        ordering = ["-rated_at"]

    def __str__(self):
        return f"{self.order} {'★' * self.stars}"


class ProgrammeCoordinator(models.Model):
    """A read-only login for a programme's coordinator (e.g. the east-side office)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinated",
                             verbose_name=_("用户"))
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="coordinators",
                                  verbose_name=_("项目"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目协调员")
        verbose_name_plural = _("项目协调员")
        constraints = [models.UniqueConstraint(fields=["user", "programme"], name="coordinator_unique")]

    def __str__(self):
        return f"{self.user} · {self.programme}"


class Statement(models.Model):
    """A statement (对账单) or certificate (消费帮扶证明) for one organisation and period.

    Its figures are frozen when issued, so the PDF, the verification page and the API all show
    exactly the same numbers, whatever happens later (a later refund is a new statement).
    """

    STATEMENT = "statement"
    CERTIFICATE = "certificate"
    KINDS = [(STATEMENT, _("消费帮扶对账单")), (CERTIFICATE, _("消费帮扶证明"))]

    code = models.CharField(_("验证码"), max_length=20, unique=True, default=new_statement_code)
    kind = models.CharField(_("类型"), max_length=12, choices=KINDS, default=CERTIFICATE)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="statements",
                                  verbose_name=_("项目"))
    organisation = models.ForeignKey(BuyerOrganisation, on_delete=models.PROTECT, related_name="statements",
                                     verbose_name=_("单位"))
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("截止日期"))
    figures = models.JSONField(_("数据"), default=dict)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("出具人"))
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    class Meta:
        verbose_name = _("帮扶证明/对账单")
        verbose_name_plural = _("帮扶证明/对账单")
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.organisation} {self.period_start}–{self.period_end}"


class MonitoringPolicy(models.Model):
    """防返贫监测 thresholds a cooperative sets for its township report."""

    cooperative = models.OneToOneField("coop.Cooperative", on_delete=models.CASCADE,
                                       related_name="monitoring_policy", verbose_name=_("合作社"))
    drop_percent = models.PositiveSmallIntegerField(
        _("骤降幅度（%）"), default=50, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("本月收入比前几个月平均低这么多即提示走访。"))
    lookback_months = models.PositiveSmallIntegerField(_("对比月数"), default=3,
                                                       validators=[MinValueValidator(1), MaxValueValidator(12)])
    min_monthly_income = models.DecimalField(_("月收入下限（元）"), max_digits=10, decimal_places=2,
                                             default=Decimal("0.00"),
                                             help_text=_("低于此数即提示走访；0 表示不设下限。"))

    class Meta:
        verbose_name = _("防返贫监测设置")
        verbose_name_plural = _("防返贫监测设置")

    def __str__(self):
        return str(self.cooperative)
