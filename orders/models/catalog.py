"""What the shop sells: boxes of eggs of one weight class and pack size, and where buyers collect them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.models import WEIGHT_CLASSES


class Product(models.Model):
    """A box of eggs on sale. Its stock is not stored here: it is computed from packed batches of the
    same cooperative, weight class and pack size (see ``orders/services/stock.py``)."""

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="products",
                                    verbose_name=_("合作社"))
    name = models.CharField(_("商品名称"), max_length=60)
    weight_class = models.CharField(_("重量等级"), max_length=2, choices=WEIGHT_CLASSES)
    pack_size = models.PositiveIntegerField(_("每盒枚数"), validators=[MinValueValidator(1)])
    price = models.DecimalField(_("价格（元/盒）"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])
    description = models.TextField(_("介绍"), blank=True)
    per_order_limit = models.PositiveIntegerField(_("每单限购（盒）"), default=10, validators=[MinValueValidator(1)])
    active = models.BooleanField(_("在售"), default=True)
    sort_order = models.IntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["cooperative_id", "sort_order", "id"]

    def __str__(self):
        return self.name

    @property
    def stock_key(self):
        return stock_key(self.cooperative_id, self.weight_class, self.pack_size)


class ProductPhoto(models.Model):
    """A photo of a product, cleaned at upload (``orders.services.catalog.add_product_photo``): the picture
    re-encoded without EXIF/GPS and its two thumbnails, made once there so no page view ever resizes.

    Product photos are public (they are published on the shop), so they live under MEDIA like the rest.
    Each file's pixel size is stored so pages set ``width``/``height`` (no layout shift) without opening it.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos", verbose_name=_("商品"))
    image = models.ImageField(_("照片"), upload_to="products/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("宽（像素）"), default=0)
    height = models.PositiveIntegerField(_("高（像素）"), default=0)
    # 320 px for the list's thumbnail and a 1× phone; 720 px for the product page on a 2× phone.
    thumb_small = models.ImageField(_("小图"), upload_to="products/thumbs/",
                                    width_field="small_width", height_field="small_height")
    small_width = models.PositiveIntegerField(default=0)
    small_height = models.PositiveIntegerField(default=0)
    thumb_large = models.ImageField(_("中图"), upload_to="products/thumbs/",
                                    width_field="large_width", height_field="large_height")
    large_width = models.PositiveIntegerField(default=0)
    large_height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("商品照片")
        verbose_name_plural = _("商品照片")
        ordering = ["product_id", "position", "id"]

    def __str__(self):
        return f"{self.product} #{self.position}"


def stock_key(cooperative_id, weight_class, pack_size):
    """The lock key of one pool of boxes. Products and group buys drawing on it share the lock."""
    return f"stock:{cooperative_id}:{weight_class}:{pack_size}"


class PickupPoint(models.Model):
    """自提点: a shop, a village office or a leader's home where buyers collect their boxes."""

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="pickup_points",
                                    verbose_name=_("合作社"))
    name = models.CharField(_("名称"), max_length=60)
    address = models.CharField(_("地址"), max_length=200)
    contact = models.CharField(_("联系人"), max_length=30, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    hours = models.CharField(_("开放时间"), max_length=60, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("自提点")
        verbose_name_plural = _("自提点")
        ordering = ["cooperative_id", "name"]

    def __str__(self):
        return self.name
