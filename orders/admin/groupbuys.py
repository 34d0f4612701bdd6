"""Admin of group buys."""

from django.contrib import admin

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
