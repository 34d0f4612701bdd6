"""Admin of buyers."""

from django.contrib import admin

from coop.admin.base import CooperativeScopedAdmin
from orders.models import (
    Buyer,
)


@admin.register(Buyer)
class BuyerAdmin(CooperativeScopedAdmin):
    """Buyers are platform-wide; a manager sees those who ordered from their cooperative."""

    cooperative_path = "orders__cooperative"
    list_display = ["display_name", "kind", "organisation", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "phone", "organisation"]
    readonly_fields = ["user", "phone", "wechat_openid", "created_at"]
    may_add = False
    may_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

