"""Admin of the audit trail (read-only), in words: "交蛋已登记" on "交蛋记录", not ``delivery.recorded``."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin
from coop.lib.words import action_label, object_label
from coop.models import AuditEvent


class ActionFilter(admin.SimpleListFilter):
    """The actions present in the trail, each by its words (the raw field would list the codes)."""

    title = _("动作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return sorted(((a, action_label(a)) for a in actions), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("对象类型")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = model_admin.get_queryset(request).order_by().values_list("object_type", flat=True).distinct()
        return sorted(((t, object_label(t)) for t in types), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "what", "on_what", "object_id", "actor_label", "reason")
    list_filter = (ActionFilter, ObjectTypeFilter)
    search_fields = ("object_id", "actor_label", "reason", "action", "object_type")
    date_hierarchy = "created_at"
    fields = ("created_at", "what", "on_what", "object_id", "actor", "actor_label", "reason", "data")
    readonly_fields = fields

    @admin.display(description=_("动作"), ordering="action")
    def what(self, obj):
        return action_label(obj.action, obj.object_type)

    @admin.display(description=_("对象"), ordering="object_type")
    def on_what(self, obj):
        return object_label(obj.object_type)
