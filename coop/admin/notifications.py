"""Admin of notifications sent to households and buyers (read-only log)."""

from django.contrib import admin

from coop.admin.base import AppendOnlyAdmin, ReadOnlyInline
from coop.models import Notification, NotificationAttempt


class NotificationAttemptInline(ReadOnlyInline):
    """Each call to the channel for one notification: when, ok or the error, the gateway's message id."""

    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "channel", "ok", "provider_ref", "error")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "event", "farmer", "phone", "channel", "status", "attempts", "sent_at")
    list_filter = ("status", "event", "channel")
    search_fields = ("dedupe_key", "phone", "farmer__head_name", "farmer__member_no")  # log (issue 8)
    inlines = [NotificationAttemptInline]
