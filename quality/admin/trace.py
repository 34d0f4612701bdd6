"""Admin of trace codes (recall), scans and compliance certificates."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coop.admin.base import AppendOnlyAdmin, CooperativeScopedAdmin
from coop.lib import tenancy
from quality.admin.labels import SheetForm
from quality.models import ComplianceCertificate, Scan, TraceCode
from quality.services import scans
from quality.services.labels import FORMATS, LabelRequestError, request_label_sheet
from quality.services.printers import LANGUAGES as PRINTER_LANGUAGES
from quality.services.recall import RecallError, recall_batch


class RecallForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("召回原因（扫码页向顾客显示）"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(TraceCode)
class TraceCodeAdmin(CooperativeScopedAdmin):
    cooperative_path = "batch__cooperative"
    list_display = ("code", "batch", "batch_status", "best_before", "scan_count")
    search_fields = ("code", "batch__code")
    list_select_related = ("batch",)
    readonly_fields = ("code", "batch", "batch_status", "downloads", "scans_by_day", "flags")
    fields = readonly_fields
    may_add = False  # a trace code is made with its batch
    may_delete = False  # printed labels point at it forever

    @admin.display(description=gettext_lazy("状态"))
    def batch_status(self, obj):
        return obj.batch.get_status_display()

    @admin.display(description=gettext_lazy("保质期至"))
    def best_before(self, obj):
        return obj.batch.best_before

    def get_queryset(self, request):
        # Counted by a subquery per row of the page, not a query per row (nor a GROUP BY over every scan).
        scans = Scan.objects.filter(trace=OuterRef("pk")).order_by().values("trace").annotate(n=Count("pk"))
        return super().get_queryset(request).annotate(scan_total=Coalesce(Subquery(scans.values("n")), 0))

    @admin.display(description=gettext_lazy("扫码次数"), ordering="scan_total")
    def scan_count(self, obj):
        return obj.scan_total

    @admin.display(description=gettext_lazy("标签与资料"))
    def downloads(self, obj):
        b = obj.batch.pk
        links = [(f"/t/{obj.code}", _("扫码页"))]
        links += [(f"/trace/batches/{b}/labels.pdf?format={k}", f.name) for k, f in FORMATS.items()]
        links += [(f"/trace/batches/{b}/labels.pdf?format=a4-3x8&boxes=1", _("每盒一码标签（A4 3×8）")),
                  (f"/trace/batches/{b}/label.png", _("单张标签 PNG")),
                  *[(f"/trace/batches/{b}/labels.{lang}", _("标签机文件 · %(what)s") % {"what": name})
                    for lang, name in PRINTER_LANGUAGES.items()],
                  *[(f"/trace/batches/{b}/labels.{lang}?boxes=1", _("标签机文件 · 每盒一码 · %(what)s")
                     % {"what": lang.upper()}) for lang in PRINTER_LANGUAGES],
                  (f"/t/{obj.code}/certificate.pdf", _("承诺达标合格证")),
                  (f"/t/{obj.code}/epcis.json?private=1", "EPCIS 2.0"),
                  (reverse("admin:quality_tracecode_sheet", args=[obj.pk]), _("大批量标签（后台生成）")),
                  (reverse("admin:quality_tracecode_recall", args=[obj.pk]), _("召回此批次"))]
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a></li>', links))

    @admin.display(description=gettext_lazy("每日扫码（近 30 天）"))
    def scans_by_day(self, obj):
        rows = scans.scans_per_day(obj)
        if not rows:
            return _("暂无扫码")
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>", ((r["day"], r["n"]) for r in rows)))

    @admin.display(description=gettext_lazy("可疑情况"))
    def flags(self, obj):
        found = scans.suspicion_flags(obj)
        if not found:
            return _("无")
        return format_html("<ul>{}</ul>", format_html_join("", '<li class="errornote">{}</li>', ((f,) for f in found)))

    def get_urls(self):
        own = [
            path("<int:pk>/recall/", self.admin_site.admin_view(self.recall_view),
                 name="quality_tracecode_recall"),
            path("<int:pk>/sheet/", self.admin_site.admin_view(self.sheet_view), name="quality_tracecode_sheet"),
        ]
        return own + super().get_urls()

    def _own(self, request, pk):
        ids = tenancy.cooperative_ids(request.user, (tenancy.Staff.MANAGER,))
        qs = TraceCode.objects.select_related("batch")
        if not request.user.is_superuser:
            qs = qs.filter(batch__cooperative_id__in=ids)
        return get_object_or_404(qs, pk=pk)

    def recall_view(self, request, pk):
        trace = self._own(request, pk)
        form = RecallForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                recall_batch(trace.batch, reason=form.cleaned_data["reason"], user=request.user)
            except RecallError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("批次 %(code)s 已召回，扫码页已显示召回通知。")
                                 % {"code": trace.batch.code})
                return redirect("admin:quality_tracecode_change", trace.pk)
        return render(request, "quality/trace/admin_form.html", {
            **self.admin_site.each_context(request), "title": _("召回批次 %(code)s") % {"code": trace.batch.code},
            "form": form, "trace": trace, "submit": _("确认召回")})

    def sheet_view(self, request, pk):
        trace = self._own(request, pk)
        form = SheetForm(request.POST or None, initial={"copies": trace.batch.boxes, "sheet_format": "a4-3x8"})
        if request.method == "POST" and form.is_valid():
            try:
                sheet = request_label_sheet(trace.batch, sheet_format=form.cleaned_data["sheet_format"],
                                            copies=form.cleaned_data["copies"],
                                            serialised=form.cleaned_data["serialised"], user=request.user)
            except LabelRequestError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("admin:quality_labelsheet_change", sheet.pk)
        return render(request, "quality/trace/admin_form.html", {
            **self.admin_site.each_context(request), "title": _("生成标签文件：%(code)s") % {"code": trace.batch.code},
            "form": form, "trace": trace, "submit": _("开始生成")})


@admin.register(Scan)
class ScanAdmin(AppendOnlyAdmin):
    cooperative_path = "trace__batch__cooperative"
    list_display = ("scanned_at", "trace", "box", "browser", "language", "via", "past_best_before")
    list_filter = ("browser", "via", "past_best_before")
    search_fields = ("trace__code", "box__code", "trace__batch__code")
    date_hierarchy = "scanned_at"
    list_select_related = ("trace", "box")


@admin.register(ComplianceCertificate)
class ComplianceCertificateAdmin(CooperativeScopedAdmin):
    cooperative_path = "batch__cooperative"
    list_display = ("number", "batch", "product_name", "basis", "issued_on")
    list_filter = ("basis",)
    readonly_fields = ("batch", "number", "product_name", "quantity", "producer_name", "origin", "phone",
                       "issued_on", "issued_by")
    may_add = False  # issued when the batch is packed (quality/signals.py)
    may_delete = False

