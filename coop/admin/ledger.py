"""Admin of the append-only ledger."""

from django.contrib import admin

from coop.admin.base import AppendOnlyAdmin
from coop.models import (
    LedgerEntry,
)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    list_display = ("occurred_on", "farmer", "kind", "amount", "reason", "settlement", "created_by")
    list_filter = ("kind", "farmer__village", "occurred_on")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "reason", "dedupe_key")
    date_hierarchy = "occurred_on"
    list_select_related = ("farmer", "settlement", "created_by")
