"""Admin of the catalogue: products and pickup points."""

from django.contrib import admin

from coop.admin.base import CooperativeScopedAdmin
from orders.models import (
    PickupPoint,
    Product,
)


@admin.register(Product)
class ProductAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "weight_class", "pack_size", "price", "per_order_limit", "active"]
    list_filter = ["active", "weight_class", "pack_size"]
    search_fields = ["name"]


@admin.register(PickupPoint)
class PickupPointAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "address", "contact", "phone", "active"]
