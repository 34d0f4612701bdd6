"""Admin of label sheets."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coop.admin.base import AppendOnlyAdmin
from quality.models import LabelSheet
from quality.services.labels import FORMATS


class SheetForm(forms.Form):
    sheet_format = forms.ChoiceField(label=gettext_lazy("标签规格"), choices=[(k, f.name) for k, f in FORMATS.items()])
    copies = forms.IntegerField(label=gettext_lazy("张数"), min_value=1, max_value=20000)
    serialised = forms.BooleanField(label=gettext_lazy("每盒一码"), required=False, initial=True)


@admin.register(LabelSheet)
class LabelSheetAdmin(AppendOnlyAdmin):
    cooperative_path = "batch__cooperative"
    list_display = ("__str__", "serialised", "status", "progress", "created_at")  # titled in words
    list_select_related = ("batch",)
    list_filter = ("status", "sheet_format")
    readonly_fields = ("batch", "format_name", "serialised", "copies", "status", "progress", "download", "error",
                       "created_by", "created_at", "finished_at")
    fields = readonly_fields

    @admin.display(description=gettext_lazy("标签规格"))
    def format_name(self, obj):
        return LabelSheet.FORMAT_NAMES.get(obj.sheet_format, obj.sheet_format)

    @admin.display(description=gettext_lazy("进度"))
    def progress(self, obj):
        return format_html('<progress max="100" value="{}"></progress> {}%', obj.percent, obj.percent)

    @admin.display(description=gettext_lazy("下载"))
    def download(self, obj):
        if obj.status == LabelSheet.DONE:
            return format_html('<a href="/trace/sheets/{}.pdf">{}</a>', obj.pk, _("下载 PDF"))
        return _("生成中，本页每 3 秒刷新。")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        sheet = LabelSheet.objects.filter(pk=object_id).only("status").first()
        if sheet is not None and sheet.status in (LabelSheet.QUEUED, LabelSheet.RUNNING):
            response["Refresh"] = "3"  # a progress bar that moves without JavaScript
        return response
