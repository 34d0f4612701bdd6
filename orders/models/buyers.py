"""Buyers: a profile on a Django user, signed in by mobile code or a WeChat-shaped openid."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.validators import mask_mobile
from orders.models import invoices


class Buyer(models.Model):
    INDIVIDUAL = "individual"
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"
    CARING = "caring"
    KINDS = [
        (INDIVIDUAL, _("个人")),
        (ENTERPRISE, _("企业")),
        (INSTITUTION, _("机关事业单位")),
        (CARING, _("爱心人士")),
    ]
    # Kinds that usually need a 发票 (fapiao) with a title and tax number.
    INVOICE_KINDS = (ENTERPRISE, INSTITUTION)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer",
                                verbose_name=_("用户"))
    kind = models.CharField(_("买家类型"), max_length=12, choices=KINDS, default=INDIVIDUAL)
    name = models.CharField(_("称呼"), max_length=60, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, null=True, blank=True, unique=True)
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, null=True, blank=True, unique=True)
    organisation = models.CharField(_("单位名称"), max_length=100, blank=True)
    invoice_title = models.CharField(_("发票抬头"), max_length=100, blank=True)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    # The rest of the saved 发票 details, prefilled on every 申请开票 (orders/services/invoices.py); blank kind:
    # never chosen, so the form picks 单位 for institutional buyers and 个人 for the others.
    invoice_kind = models.CharField(_("发票抬头类型"), max_length=10, blank=True,
                                    choices=invoices.KINDS)
    invoice_email = models.EmailField(_("接收电子发票的邮箱"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)

    class Meta:
        verbose_name = _("买家")
        verbose_name_plural = _("买家")
        ordering = ["-created_at"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return self.name or (mask_mobile(self.phone) if self.phone else str(_("微信用户")))

    @property
    def chain_name(self):
        """How the buyer appears in a public group-buy chain now (an entry keeps the name it joined with:
        ``Order.chain_label``): first character and stars (张**), else the phone's last four digits."""
        return chain_label(masked_name(self.name), self.phone)


def masked_name(name):
    """The part of a name a public chain shows: its first character and stars (张**); "" for no name."""
    name = (name or "").strip()
    return name[0] + "**" if name else ""


def chain_label(masked, phone):
    """A chain entry's name: the masked name it joined with, else 尾号 and the phone's last four digits (in the
    reader's language), else 微信用户."""
    if masked:
        return masked
    if phone:
        return str(_("尾号%(tail)s")) % {"tail": phone[-4:]}
    return str(_("微信用户"))


class Address(models.Model):
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("买家"))
    recipient = models.CharField(_("收货人"), max_length=30)
    phone = models.CharField(_("手机号"), max_length=20)
    region = models.CharField(_("省市区"), max_length=60)
    # The statistics bureau's codes and names (orders/services/regions.py), checked as one chain when saved;
    # ``region`` above is their label as the parcel reads it. Blank on addresses saved before the picker.
    province_code = models.CharField(_("省份代码"), max_length=2, blank=True)
    province_name = models.CharField(_("省份"), max_length=20, blank=True)
    city_code = models.CharField(_("城市代码"), max_length=4, blank=True)
    city_name = models.CharField(_("城市"), max_length=30, blank=True)
    district_code = models.CharField(_("区县代码"), max_length=6, blank=True)
    district_name = models.CharField(_("区县"), max_length=30, blank=True)
    detail = models.CharField(_("详细地址"), max_length=200)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("收货地址")
        verbose_name_plural = _("收货地址")
        ordering = ["-is_default", "-created_at"]

    def __str__(self):
        return f"{self.recipient} {self.region}{self.detail}"


class LoginCode(models.Model):
    """A one-time sign-in code sent to a mobile number. Only a hash is stored."""

    phone = models.CharField(_("手机号"), max_length=20, db_index=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=128)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{mask_mobile(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"
