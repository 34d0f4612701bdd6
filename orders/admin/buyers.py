"""Admin of buyers."""

from django.contrib import admin

from coop.admin.base import CooperativeScopedAdmin
from orders.models import (
    Buyer,
)


@admin.register(Buyer)
class BuyerAdmin(CooperativeScopedAdmin):
    """Buyers are platform-wide; a manager sees (read only) those who ordered from their cooperative."""

    cooperative_path = "orders__cooperative"
    list_display = ["display_name", "kind", "organisation", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "phone", "organisation"]
    readonly_fields = ["user", "phone", "wechat_openid", "created_at"]
    # A buyer's profile (name, 发票抬头, tax number) belongs to the buyer, who edits it on /shop/profile/; a
    # buyer orders from several cooperatives, so an edit by one would change what every other one shows.
    may_add = may_change = may_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

