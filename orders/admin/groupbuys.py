"""Admin of group buys."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q

from coop.admin.base import CooperativeScopedAdmin
from orders.models import (
    GroupBuy,
)


@admin.register(GroupBuy)
class GroupBuyAdmin(CooperativeScopedAdmin):
    list_display = ["title", "code", "product", "price", "stock_cap", "deadline", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "closed_at"]
    search_fields = ["title", "code"]

    def user_choices(self, request, ids):
        # A leader is one of the cooperative's buyers (or its staff), not anyone on the platform.
        return get_user_model().objects.filter(
            Q(staff_roles__cooperative__in=ids) | Q(buyer__orders__cooperative__in=ids)
            | Q(led_group_buys__cooperative__in=ids), is_active=True)
