"""Admin of the catalogue: products and pickup points."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from coop.admin.base import CooperativeScopedAdmin
from orders.models import (
    PickupPoint,
    Product,
)


@admin.register(Product)
class ProductAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "weight_class", "pack_size", "price", "per_order_limit", "active",
                    "photos_link"]
    list_filter = ["active", "weight_class", "pack_size"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_photos=Count("photos"))

    @admin.display(description=_("照片"))
    def photos_link(self, obj):
        # Photos are uploaded on their own page, where each one is cleaned and its thumbnails made
        # (orders.services.catalog), not through a raw file field of the admin form.
        return format_html('<a href="{}">{}</a>', reverse("shop:manage-product-photos", args=[obj.pk]),
                           _("%(n)s 张 · 管理") % {"n": getattr(obj, "n_photos", 0)})


@admin.register(PickupPoint)
class PickupPointAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "address", "contact", "phone", "active"]
