"""Admin of the append-only ledger."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, money
from coop.models import (
    LedgerEntry,
)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    list_display = ("occurred_on", "farmer", "kind", money("amount", _("金额")), "reason", "settlement", "created_by")
    list_filter = ("kind", "farmer__village", "occurred_on")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "reason", "dedupe_key")
    date_hierarchy = "occurred_on"
    list_select_related = ("farmer", "settlement__farmer", "created_by")  # a settlement is named by its household
