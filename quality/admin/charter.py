"""Admin of the village charter and its clauses."""

import datetime

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.admin.base import CooperativeScopedAdmin
from coop.services.audit import log_action
from quality.admin.base import CharterMedia
from quality.models import Charter, Clause
from quality.services.charter import charter_in_force


class ClauseInline(admin.TabularInline):
    model = Clause
    extra = 1
    fields = ["number", "defect", "from_offence", "text", "warning", "fine_per_egg", "fine_fixed",
              "suspension_days", "public_notice"]

    def _in_use(self, obj):
        return obj is not None and obj.pk and obj.penalties.exists()

    def has_add_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_delete_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Charter)
class CharterAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    list_display = ["cooperative", "version", "title", "adopted_on", "effective_from", "votes", "in_force"]
    list_filter = ["cooperative"]
    inlines = [ClauseInline]
    actions = ["new_version"]
    readonly_fields = ["version", "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["cooperative", "version", "title", "text"]}),
        (_lazy("村民大会"), {"fields": ["adopted_on", "effective_from", "assembly_attendance", "votes_for",
                                     "votes_against", "votes_abstain", "assembly_record"]}),
        (_lazy("程序"), {"fields": ["appeal_window_days", "notice_days", "lookback_days", "attribution_rule",
                                  "name_mask"]}),
        (_lazy("记录"), {"fields": ["created_by", "created_at"]}),
    ]

    @admin.display(description=_lazy("表决（赞成/反对/弃权）"))
    def votes(self, obj):
        return f"{obj.votes_for}/{obj.votes_against}/{obj.votes_abstain} · {obj.assembly_attendance}"

    @admin.display(description=_lazy("今日生效"), boolean=True)
    def in_force(self, obj):

        return charter_in_force(obj.cooperative, timezone.localdate()) == obj

    def get_readonly_fields(self, request, obj=None):
        # A version that has judged someone is history: it is never edited, only superseded.
        if obj is not None and obj.penalties.exists():
            return [f for fs in self.fieldsets for f in fs[1]["fields"]]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not obj.penalties.exists() and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            latest = Charter.objects.filter(cooperative=obj.cooperative).aggregate(m=Max("version"))["m"]
            obj.version = (latest or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        log_action(obj, "charter.adopted" if not change else "charter.edited", user=request.user,
                   data={"version": obj.version, "votes_for": obj.votes_for, "votes_against": obj.votes_against})

    @admin.action(description=_lazy("以所选版本为底稿起草新版本"))
    def new_version(self, request, queryset):
        for old in queryset:
            with transaction.atomic():
                version = (Charter.objects.filter(cooperative=old.cooperative)
                           .aggregate(m=Max("version"))["m"] or 0) + 1
                today = timezone.localdate()
                new = Charter.objects.create(
                    cooperative=old.cooperative, version=version, title=old.title, text=old.text,
                    adopted_on=today, effective_from=today + datetime.timedelta(days=30),
                    appeal_window_days=old.appeal_window_days, notice_days=old.notice_days,
                    lookback_days=old.lookback_days, attribution_rule=old.attribution_rule,
                    name_mask=old.name_mask, created_by=request.user,
                    assembly_record=_("草稿：请填写村民大会的到会人数和表决结果。"))
                for c in old.clauses.all():
                    c.pk, c.charter = None, new
                    c.save()
                log_action(new, "charter.drafted", user=request.user, data={"from_version": old.version})
            messages.success(request, _("已起草第 %(v)s 版，请修改并填写村民大会记录。") % {"v": version})
