"""Admin of the audit trail (read-only)."""

from django.contrib import admin

from coop.admin.base import AppendOnlyAdmin
from coop.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor_label", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "reason", "action", "object_type")
    date_hierarchy = "created_at"
