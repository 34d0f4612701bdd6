"""The collective itself: cooperatives (the tenant), villages, staff roles and farmer households."""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.validators import mask_mobile, normalize_mobile, validate_gtin, validate_mobile


class Cooperative(models.Model):
    """A collective: the tenant. Every record in Greenshell belongs to exactly one."""

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    township = models.CharField(_("乡镇"), max_length=50)
    county = models.CharField(_("县"), max_length=50)
    prefecture = models.CharField(_("州/市"), max_length=50)
    province = models.CharField(_("省"), max_length=50, default="四川省")
    producer_code = models.CharField(
        _("生产者代码"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,8}$", _("2–8 位大写字母或数字。"))],
        help_text=_("印在标签和批次号上，例如 HBL。"),
    )
    gtin = models.CharField(
        _("GTIN 商品条码"), max_length=14, blank=True, validators=[validate_gtin],
        help_text=_("有真实 GTIN 时标签使用 GS1 数字链接；否则使用短链接。"),
    )
    trademark = models.ImageField(_("商标"), upload_to="trademarks/", blank=True)
    product_name = models.CharField(_("产品名称"), max_length=50, default="高山散养绿壳鸡蛋")
    default_pack_sizes = models.CharField(
        _("默认每盒枚数"), max_length=30, default="10,15,30",
        validators=[RegexValidator(r"^\d+(,\d+)*$", _("用逗号分隔的数字，例如 10,15,30。"))],
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    husbandry = models.TextField(
        _("养殖方式"), blank=True,
        default="母鸡在海拔两千米以上的山坡自由放养，吃苦荞、野草、玉米和虫子。",
    )
    publish_farmer_names = models.BooleanField(
        _("扫码页公开农户姓名"), default=False,
        help_text=_("默认关闭：扫码页只显示户数，不显示姓名。"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合作社")
        verbose_name_plural = _("合作社")
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def pack_sizes(self):
        return [int(x) for x in self.default_pack_sizes.split(",") if x]


class Village(models.Model):
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="villages",
                                    verbose_name=_("合作社"))
    name = models.CharField(_("村名"), max_length=50)
    township = models.CharField(_("乡镇"), max_length=50, blank=True)
    altitude_m = models.PositiveIntegerField(_("海拔（米）"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("村")
        verbose_name_plural = _("村")
        ordering = ["cooperative_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "name"], name="village_unique_name"),
        ]

    def __str__(self):
        return self.name


class Staff(models.Model):
    """A person's role in a cooperative. Roles decide what they may see and do."""

    MANAGER = "manager"
    INSPECTOR = "inspector"
    COMMITTEE = "committee"
    ROLES = [
        (MANAGER, _("合作社管理员")),
        (INSPECTOR, _("验收员")),
        (COMMITTEE, _("村民议事会成员")),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles",
                             verbose_name=_("用户"))
    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="staff",
                                    verbose_name=_("合作社"))
    role = models.CharField(_("角色"), max_length=20, choices=ROLES)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative", "role"], name="staff_unique_role"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.cooperative}"


class Farmer(models.Model):
    """A member household (农户/社员)."""

    POVERTY_NONE = "none"
    POVERTY_REGISTERED = "registered"
    POVERTY_MONITORED = "monitored"
    POVERTY_STATUSES = [
        (POVERTY_NONE, _("非贫困户")),
        (POVERTY_REGISTERED, _("建档立卡贫困户")),
        (POVERTY_MONITORED, _("脱贫监测户")),
    ]
    PAYOUT_WECHAT = "wechat"
    PAYOUT_BANK = "bank"
    PAYOUT_CASH = "cash"
    PAYOUT_METHODS = [(PAYOUT_WECHAT, _("微信转账")), (PAYOUT_BANK, _("银行卡")), (PAYOUT_CASH, _("现金"))]

    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="farmers",
                                    verbose_name=_("合作社"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="farmers", verbose_name=_("村"))
    member_no = models.CharField(_("社员编号"), max_length=20)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    # The name in pinyin, so a household is found by typing "ajimuri" or "ajmr" for 阿吉木日 (Yi names written
    # in Chinese characters are hard to type). Kept up to date by coop.services.farmers on create/rename.
    name_pinyin = models.CharField(_("姓名拼音"), max_length=200, blank=True, editable=False)
    name_initials = models.CharField(_("姓名拼音首字母"), max_length=50, blank=True, editable=False)
    phone = models.CharField(_("手机号"), max_length=20, validators=[validate_mobile])
    poverty_status = models.CharField(_("帮扶状态"), max_length=20, choices=POVERTY_STATUSES,
                                      default=POVERTY_NONE)
    hens = models.PositiveIntegerField(_("母鸡数"), default=0)
    payout_method = models.CharField(_("收款方式"), max_length=10, choices=PAYOUT_METHODS,
                                     default=PAYOUT_WECHAT)
    payout_account = models.CharField(_("收款账号"), max_length=40, blank=True,
                                      help_text=_("只在导出转账清单时完整显示，其余页面均打码。"))
    stamp_code = models.CharField(_("喷码"), max_length=10, blank=True,
                                  help_text=_("印在这户鸡蛋上的代码，用于坏蛋追溯到户。"))
    active = models.BooleanField(_("在册"), default=True)
    # Set by the charter's suspension sanction (quality app); intake refuses deliveries until then.
    suspended_until = models.DateField(_("暂停收购至"), null=True, blank=True)
    suspension_reason = models.CharField(_("暂停原因"), max_length=200, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="farmer", verbose_name=_("登录账号"))
    joined_on = models.DateField(_("入社日期"), default=timezone.localdate)
    # The household's openid at the official account, bound by the household itself through WeChat's web
    # authorisation (coop.services.farmers.finish_wechat_binding): its notifications go there as template
    # messages. Empty = not bound: they go by text message. Never derived, never typed in by staff.
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, blank=True, default="", editable=False)
    wechat_bound_at = models.DateTimeField(_("绑定微信时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        ordering = ["cooperative_id", "member_no"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "member_no"], name="farmer_unique_member_no"),
            models.UniqueConstraint(fields=["cooperative", "stamp_code"], condition=~models.Q(stamp_code=""),
                                    name="farmer_unique_stamp_code"),
        ]
        # Pinyin is searched by prefix (LIKE 'aji%'): the pattern opclass lets PostgreSQL use the index for it
        # whatever the database's collation (ignored elsewhere).
        indexes = [models.Index(fields=["cooperative", "phone"]),
                   models.Index(fields=["name_initials"], name="farmer_name_initials",
                                opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["name_pinyin"], name="farmer_name_pinyin",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.member_no} {self.head_name}"

    def save(self, *args, **kwargs):
        self.phone = normalize_mobile(self.phone)
        super().save(*args, **kwargs)

    @property
    def masked_account(self):
        acct = self.payout_account or ""
        if len(acct) <= 4:
            return "****" if acct else ""
        return "****" + acct[-4:]

    @property
    def masked_phone(self):
        return mask_mobile(self.phone)

    def is_suspended(self, on_date=None):
        on_date = on_date or timezone.localdate()
        return self.suspended_until is not None and on_date <= self.suspended_until
