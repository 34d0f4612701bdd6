"""Admin of the village charter and its clauses."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.admin.base import CooperativeScopedAdmin
from quality.admin.base import CharterMedia
from quality.models import Charter, CharterError, Clause
from quality.services.charter import adopt_charter, charter_in_force, check_charter, draft_charter, edit_charter


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


class CharterForm(forms.ModelForm):
    class Meta:
        model = Charter
        fields = ["cooperative", "title", "text", "adopted_on", "effective_from", "assembly_attendance", "votes_for",
                  "votes_against", "votes_abstain", "assembly_record", "appeal_window_days", "notice_days",
                  "lookback_days", "attribution_rule", "name_mask"]

    def clean(self):
        data = super().clean()
        try:
            check_charter(data.get("adopted_on"), data.get("effective_from"))
        except CharterError as exc:
            self.add_error(exc.field, exc.message)
        return data


@admin.register(Charter)
class CharterAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    form = CharterForm
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
        # The inline saves the clauses after this (save_related), inside the same admin transaction.
        if change:
            edit_charter(obj, user=request.user)
        else:
            adopt_charter(obj, user=request.user)

    @admin.action(description=_lazy("以所选版本为底稿起草新版本"))
    def new_version(self, request, queryset):
        for old in queryset:
            new = draft_charter(old, user=request.user)
            messages.success(request, _("已起草第 %(v)s 版，请修改并填写村民大会记录。") % {"v": new.version})
